package dev.conntrail.producer.agent;

/** Why something was not delivered (design rule 6, loss); the {@code cause} tag of {@code conntrail_producer_lost}. */
public enum LossCause {
    /** The tracer's ring buffer or a BPF map was full, or a record could not be decoded. */
    TRACER("tracer"),
    /** The agent's own bounded hand-off queue was full. */
    QUEUE_FULL("queue_full"),
    /** Kafka gave up on a send (after delivery.timeout.ms, or a non-retriable error). */
    SEND_FAILED("send_failed"),
    /** The kernel dropped conntrack events (ENOBUFS). */
    CONNTRACK("conntrack_enobufs"),
    /** A /proc poll failed (polling fallback). */
    POLL_FAILED("poll_failed");

    final String label;

    LossCause(String label) {
        this.label = label;
    }
}
