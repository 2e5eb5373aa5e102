package dev.conntrail.producer.doctor;

/**
 * One finding of {@code conntrail doctor}.
 *
 * @param name     short name: "tracer", "CAP_BPF", "netns entry"
 * @param status   ok, degraded or unavailable
 * @param found    what was found, in a sentence
 * @param cost     when not ok: what the agent loses (null when ok)
 * @param fix      when not ok: what to do about it (null when ok)
 * @param fidelity when not ok: whether the agent then reports less (true), or the check costs only speed or its loss
 *                 is counted by another check (false: a missing capability whose effect a functional check shows)
 * @param detail   the loader's own words (an exception's message, a verifier log's tail), or null
 */
public record Check(String name, Status status, String found, String cost, String fix, boolean fidelity, String detail) {

    public static Check ok(String name, String found) {
        return new Check(name, Status.ok, found, null, null, false, null);
    }

    /** A check that lowers the agent's fidelity when it fails. */
    public static Check loss(String name, Status status, String found, String cost, String fix) {
        return new Check(name, status, found, cost, fix, true, null);
    }

    /** A check that fails without lowering the agent's fidelity by itself (slower, or counted by another check). */
    public static Check note(String name, Status status, String found, String cost, String fix) {
        return new Check(name, status, found, cost, fix, false, null);
    }

    public Check withDetail(String text) {
        return new Check(name, status, found, cost, fix, fidelity, text);
    }

    public boolean isOk() {
        return status == Status.ok;
    }

    /** Not ok, and the agent reports less because of it. */
    public boolean degradesFidelity() {
        return status != Status.ok && fidelity;
    }
}
