package dev.conntrail.producer.bpf;

/**
 * The tracer's counters, summed over CPUs (kernel side, bpf/tracer.h enum ct_counter) plus the
 * Java side's own. Cumulative since start.
 */
public record TracerCounters(
        long events,
        long ringBufferFull,
        long ownerMapFull,
        long listenerMapFull,
        long connectFailed,
        long connectNoOwner,
        long acceptNoListener,
        long pendingMapFull,
        long acceptExact,
        long acceptUnclaimed,
        long recursionMisses,
        long decoded,
        long malformed,
        long acceptTimedOut) {

    static final int KERNEL_COUNTERS = 10;

    /**
     * {@code recursionMisses}: state-program runs the kernel skipped because the program was already running
     * on that CPU (an interrupt fired the hook during a run): each may have been an event.
     */
    static TracerCounters of(long[] k, long recursionMisses, long decoded, long malformed, long acceptTimedOut) {
        return new TracerCounters(k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8], k[9], recursionMisses,
                decoded, malformed, acceptTimedOut);
    }

    /** Everything that was lost: events that never reached Java, or facts the kernel could not keep. */
    public long lost() {
        return ringBufferFull + ownerMapFull + listenerMapFull + pendingMapFull + recursionMisses + malformed;
    }
}
