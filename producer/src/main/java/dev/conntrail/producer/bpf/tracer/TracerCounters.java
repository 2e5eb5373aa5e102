package dev.conntrail.producer.bpf.tracer;

import dev.conntrail.producer.bpf.layout.CtCounterLayout;

/**
 * The tracer's counters, summed over CPUs (kernel side, bpf/tracer.h enum ct_counter: CtCounterLayout) plus the
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

    /**
     * {@code recursionMisses}: state-program runs the kernel skipped because the program was already running
     * on that CPU (an interrupt fired the hook during a run): each may have been an event.
     */
    static TracerCounters of(long[] k, long recursionMisses, long decoded, long malformed, long acceptTimedOut) {
        return new TracerCounters(k[CtCounterLayout.EVENTS], k[CtCounterLayout.RINGBUF_FULL], k[CtCounterLayout.OWNER_MAP_FULL],
                k[CtCounterLayout.LISTENER_MAP_FULL], k[CtCounterLayout.CONNECT_FAILED], k[CtCounterLayout.CONNECT_NO_OWNER],
                k[CtCounterLayout.ACCEPT_NO_LISTENER], k[CtCounterLayout.PENDING_MAP_FULL], k[CtCounterLayout.ACCEPT_EXACT],
                k[CtCounterLayout.ACCEPT_UNCLAIMED], recursionMisses, decoded, malformed, acceptTimedOut);
    }

    /** Everything that was lost: events that never reached Java, or facts the kernel could not keep. */
    public long lost() {
        return ringBufferFull + ownerMapFull + listenerMapFull + pendingMapFull + recursionMisses + malformed;
    }
}
