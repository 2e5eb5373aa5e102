package dev.conntrail.producer.bpf.tracer;

import java.time.Duration;

/**
 * How to run the tracer. Immutable; start from {@link #defaults(String, long)}.
 *
 * @param host             the producer's host id, copied into every event
 * @param agentEpoch       copied into every event
 * @param acceptPid        how ACCEPTs get their pid
 * @param ringBufferBytes  size of each CPU's ring buffer: a power of two, at least one page; 0: by the number of
 *                         CPUs ({@link EventRings#defaultBytes}: 4 MiB up to 8 CPUs, less beyond, never under 1 MiB)
 * @param wakeupBytes      the kernel wakes the reader only when this much waits (0: on every record)
 * @param pollInterval     longest wait between reads when the kernel does not wake us (latency bound)
 * @param acceptTimeout    exact mode: an ACCEPT no accept() claimed within this goes out without pid
 * @param allowTpBtf       false forces the classic tracepoint (no cookies), e.g. to test the fallback
 * @param libbpfReader     read with libbpf's ring_buffer__poll (JNA callback per record) instead of the
 *                         in-place mmap reader; for measurement only
 */
public record TracerOptions(String host, long agentEpoch, AcceptPidMode acceptPid, int ringBufferBytes, int wakeupBytes,
        Duration pollInterval, Duration acceptTimeout, boolean allowTpBtf, boolean libbpfReader) {

    /**
     * The kernel wakes the reader when 1 MiB waits in a CPU's ring (at most a quarter of the ring): below
     * that the reader's own poll timeout (100 ms) collects the records, so a busy host wakes it ~10 times a
     * second instead of ~70 (64 KiB, before) at 10k connections/s; the rest of the ring absorbs a burst
     * while the reader wakes (BENCHMARKS.md, "Tracer").
     */
    public static final int DEFAULT_WAKEUP_BYTES = 1024 * 1024;

    public static TracerOptions defaults(String host, long agentEpoch) {
        return new TracerOptions(host, agentEpoch, AcceptPidMode.DEFAULT, 0, DEFAULT_WAKEUP_BYTES,
                Duration.ofMillis(100), Duration.ofSeconds(2), true, false);
    }

    public TracerOptions {
        if (ringBufferBytes != 0 && (Integer.bitCount(ringBufferBytes) != 1 || ringBufferBytes < 4096)) {
            throw new IllegalArgumentException("ring buffer size must be 0 (default) or a power of two >= 4096, not "
                    + ringBufferBytes);
        }
    }

    public TracerOptions withAcceptPid(AcceptPidMode mode) {
        return new TracerOptions(host, agentEpoch, mode, ringBufferBytes, wakeupBytes, pollInterval, acceptTimeout, allowTpBtf, libbpfReader);
    }

    public TracerOptions withRingBuffer(int bytes, int wakeup) {
        return new TracerOptions(host, agentEpoch, acceptPid, bytes, wakeup, pollInterval, acceptTimeout, allowTpBtf, libbpfReader);
    }

    public TracerOptions withPollInterval(Duration interval) {
        return new TracerOptions(host, agentEpoch, acceptPid, ringBufferBytes, wakeupBytes, interval, acceptTimeout, allowTpBtf, libbpfReader);
    }

    public TracerOptions withLibbpfReader(boolean libbpf) {
        return new TracerOptions(host, agentEpoch, acceptPid, ringBufferBytes, wakeupBytes, pollInterval, acceptTimeout, allowTpBtf, libbpf);
    }

    public TracerOptions withTpBtf(boolean allow) {
        return new TracerOptions(host, agentEpoch, acceptPid, ringBufferBytes, wakeupBytes, pollInterval, acceptTimeout, allow, libbpfReader);
    }
}
