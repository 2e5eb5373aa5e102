package dev.conntrail.producer.doctor;

/** How a {@link Check} came out. Lower case: the names are the JSON output's values. */
public enum Status {
    /** Works as the agent wants it. */
    ok,
    /** Works with less (a fallback, a missing capability, part of the host out of reach). */
    degraded,
    /** Does not work here. */
    unavailable
}
