package dev.conntrail.producer.bpf.decode;

import dev.conntrail.producer.sys.LibC;

/**
 * Turns kernel timestamps (bpf_ktime_get_ns: CLOCK_MONOTONIC) into wall-clock time. The offset
 * REALTIME - MONOTONIC is sampled with the tightest bracket of a few tries and re-sampled by
 * {@link #maybeResync(long)} so NTP steps reach the events.
 */
public final class ClockSync {
    private static final long RESYNC_NANOS = 10_000_000_000L;
    private final LibC libc;
    private final LibC.Timespec ts = new LibC.Timespec();
    private volatile long offsetNanos;
    private long lastSyncMono;

    public ClockSync() {
        this.libc = LibC.INSTANCE;
        resync();
    }

    /**
     * Monotonic nanoseconds now (the kernel's clock for bpf_ktime_get_ns): HotSpot's System.nanoTime()
     * reads CLOCK_MONOTONIC on Linux, without the JNA call and Structure copy of {@link #read}.
     */
    public long monotonicNanos() {
        return System.nanoTime();
    }

    public synchronized void resync() {
        long best = Long.MAX_VALUE;
        long bestOffset = 0;
        for (int i = 0; i < 5; i++) {
            long m1 = read(LibC.CLOCK_MONOTONIC);
            long r = read(LibC.CLOCK_REALTIME);
            long m2 = read(LibC.CLOCK_MONOTONIC);
            if (m2 - m1 < best) {
                best = m2 - m1;
                bestOffset = r - (m1 + (m2 - m1) / 2);
            }
        }
        offsetNanos = bestOffset;
        lastSyncMono = read(LibC.CLOCK_MONOTONIC);
    }

    /** Re-syncs when the last sync is older than 10 s (monotonic time {@code nowMono}). */
    public void maybeResync(long nowMono) {
        if (nowMono - lastSyncMono > RESYNC_NANOS) {
            resync();
        }
    }

    /** Wall-clock microseconds since the epoch for a monotonic nanosecond time. */
    public long toEpochMicros(long monotonicNanos) {
        return Math.floorDiv(monotonicNanos + offsetNanos, 1000L);
    }

    private long read(int clock) {
        libc.clock_gettime(clock, ts);
        return ts.tv_sec * 1_000_000_000L + ts.tv_nsec;
    }
}
