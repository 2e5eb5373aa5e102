package dev.conntrail.producer.bpf;

import dev.conntrail.producer.sys.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.LongSupplier;

/**
 * The tracer's per-CPU ring buffers read as one stream that keeps each socket's events in order.
 *
 * <p>Each CPU's ring holds its records in {@code emit_ns} order (bpf/tracer.bpf.c: the time read right
 * after the reserve, and no ring is written by programs that can interrupt each other). A drain takes
 * the time {@code cut} first, then merges the rings by {@code emit_ns}, taking from each only records
 * with {@code emit_ns < cut}; the rest wait in their ring for the next drain. Why that keeps a socket's
 * order: its events are emitted under the socket's lock, so a later event E2 is reserved after the earlier
 * E1 was committed, and E2's emit_ns is later than E1's commit. If E2 is taken (emit_ns &lt; cut), E1 was
 * committed before the drain began, is in its ring ahead of nothing uncommitted, and has the smaller
 * emit_ns: the merge hands it out first. {@link #SETTLE_NANOS} is kept off the cut for the clocks of
 * different CPUs (bpf_ktime_get_ns vs. System.nanoTime, both CLOCK_MONOTONIC).
 */
final class PerCpuRings implements RecordSource {
    static final int KEY_OFFSET = EventDecoder.OFF_EMIT;
    /** Records younger than this at a drain wait for the next one (the reader's batch pause, 10 ms). */
    static final long SETTLE_NANOS = 1_000_000L;
    private final RingBufferReader[] rings;
    private final DirectPoll poller; // null: in-heap rings
    private final LongSupplier clock;
    private final long settleNanos;
    // the merge's min-heap of ring indexes, keyed by each ring's head emit_ns
    private final int[] heap;
    private final long[] heads;

    /** Maps ring buffer maps {@code fds}, each of {@code size} bytes. */
    static PerCpuRings map(int[] fds, int size) {
        RingBufferReader[] rings = new RingBufferReader[fds.length];
        try {
            for (int i = 0; i < fds.length; i++) {
                rings[i] = new RingBufferReader(fds[i], size);
            }
        } catch (RuntimeException e) {
            for (RingBufferReader r : rings) {
                if (r != null) {
                    r.close();
                }
            }
            throw e;
        }
        return new PerCpuRings(rings, new DirectPoll(fds, LibC.POLLIN), System::nanoTime, SETTLE_NANOS);
    }

    PerCpuRings(RingBufferReader[] rings, DirectPoll poller, LongSupplier clock, long settleNanos) {
        this.rings = rings;
        this.poller = poller;
        this.clock = clock;
        this.settleNanos = settleNanos;
        this.heap = new int[rings.length];
        this.heads = new long[rings.length];
    }

    /**
     * Runs {@link #drain} over {@code rounds} of {@code records} spread over two in-heap rings, so the JIT
     * compiles the read and merge loop before the kernel's first burst arrives: a reader still in the
     * interpreter drains a few times slower than a compiled one, and a burst right after start then
     * overflowed the ring buffer (BENCHMARKS.md, "Tracer").
     */
    static void warmUp(byte[][] records, int rounds, RecordHandler handler) {
        int step = (records[0].length + RingBufferReader.HEADER + 7) & ~7;
        int size = Integer.highestOneBit(Math.max(4096, step * records.length * 2 - 1)) << 1;
        HeapRing[] heapRings = {new HeapRing(size), new HeapRing(size)};
        PerCpuRings merged = new PerCpuRings(new RingBufferReader[] {heapRings[0].reader(), heapRings[1].reader()},
                null, () -> Long.MAX_VALUE, 0);
        long key = 0;
        for (int i = 0; i < rounds; i++) {
            for (int r = 0; r < records.length; r++) {
                byte[] rec = records[r].clone();
                ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN).putLong(KEY_OFFSET, ++key);
                heapRings[r % 2].append(rec, false);
            }
            merged.drain(handler);
        }
    }

    /** Bytes written by the kernel and not yet consumed, over all rings. */
    @Override
    public long pending() {
        long n = 0;
        for (RingBufferReader r : rings) {
            n += r.pending();
        }
        return n;
    }

    /** Hands every record older than the cut to {@code handler}, in emit_ns order; returns how many. Never blocks. */
    @Override
    public int drain(RecordHandler handler) {
        long cut = clock.getAsLong() - settleNanos;
        int size = 0;
        for (int i = 0; i < rings.length; i++) {
            long k = rings[i].headKey(KEY_OFFSET);
            if (k < cut) {
                heads[i] = k;
                heap[size] = i;
                siftUp(size++);
            }
        }
        int n = 0;
        try {
            while (size > 0) {
                int r = heap[0];
                rings[r].consumeHead(handler);
                n++;
                long k = rings[r].headKey(KEY_OFFSET);
                if (k < cut) {
                    heads[r] = k;
                } else {
                    heap[0] = heap[--size];
                }
                siftDown(size);
            }
        } finally {
            for (RingBufferReader r : rings) {
                r.publish();
            }
        }
        return n;
    }

    private void siftUp(int at) {
        int ring = heap[at];
        while (at > 0) {
            int parent = (at - 1) >>> 1;
            if (heads[heap[parent]] <= heads[ring]) {
                break;
            }
            heap[at] = heap[parent];
            at = parent;
        }
        heap[at] = ring;
    }

    private void siftDown(int size) {
        if (size == 0) {
            return;
        }
        int at = 0;
        int ring = heap[0];
        while (true) {
            int child = 2 * at + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heads[heap[child + 1]] < heads[heap[child]]) {
                child++;
            }
            if (heads[ring] <= heads[heap[child]]) {
                break;
            }
            heap[at] = heap[child];
            at = child;
        }
        heap[at] = ring;
    }

    /** Waits up to {@code timeoutMillis} for a ring to signal data; true if some is pending. */
    @Override
    public boolean await(int timeoutMillis) {
        if (pending() > 0) {
            return true;
        }
        int rc = poller.await(timeoutMillis);
        return rc > 0 || pending() > 0;
    }

    @Override
    public void close() {
        for (RingBufferReader r : rings) {
            r.close();
        }
    }
}
