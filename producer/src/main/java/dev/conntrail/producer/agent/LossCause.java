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
    POLL_FAILED("poll_failed"),
    /**
     * A snapshot could not read every network namespace whole (entering refused: no CAP_SYS_ADMIN; or a
     * socket's cookie could not be made). Counted per namespace; no resync, which would miss them again.
     */
    SNAPSHOT_INCOMPLETE("snapshot_incomplete", false);

    final String label;
    /** Whether this loss asks for a resync (one that a new snapshot can repair). */
    final boolean resyncs;

    LossCause(String label) {
        this(label, true);
    }

    LossCause(String label, boolean resyncs) {
        this.label = label;
        this.resyncs = resyncs;
    }
}
