package dev.conntrail.topology.fleet;

import java.util.concurrent.locks.LockSupport;

/** At most {@code perSecond} permits a second, with at most 100 ms of unused permits saved up. */
final class Pace {
    private static final long SAVED_NANOS = 100_000_000L;
    private final long nanosPerPermit;
    private long next = System.nanoTime();

    Pace(int perSecond) {
        this.nanosPerPermit = Math.max(1, 1_000_000_000L / perSecond);
    }

    void acquire() {
        long now = System.nanoTime();
        if (next - (now - SAVED_NANOS) < 0) next = now - SAVED_NANOS;
        next += nanosPerPermit;
        long ahead = next - now;
        if (ahead > 1_000_000L) LockSupport.parkNanos(ahead); // sleeping for less costs more than it saves
    }
}
