package dev.conntrail.producer.bpf.ring;

import dev.conntrail.producer.bpf.layout.CtEventLayout;
import dev.conntrail.producer.sys.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * The tracer's per-CPU ring buffers read as one stream that keeps each socket's events in order.
 *
 * <p>Each CPU's ring holds its records in {@code emit_ns} order (bpf/tracer.bpf.c: the time read right
 * after the reserve, and no ring is written by programs that can interrupt each other). A drain takes
 * the time {@code cut} first, then merges the rings by {@code emit_ns} and hands out only records with
 * {@code emit_ns < cut}. Why that keeps a socket's order: its events are emitted under the socket's lock,
 * so a later event E2 is reserved after the earlier E1 was committed, and E2's emit_ns is later than E1's
 * commit. If E2 is handed out (emit_ns &lt; cut), E1 was committed before the drain began, sits in its ring
 * behind nothing uncommitted, and has the smaller emit_ns: the merge hands it out first.
 * {@link #SETTLE_NANOS} is kept off the cut for the clocks of different CPUs (bpf_ktime_get_ns and
 * System.nanoTime are both CLOCK_MONOTONIC).
 *
 * <p>The records younger than the cut are moved out of the kernel's rings into a hold in Java memory (merged
 * with the rings at the next drain), so the rings end a drain empty and the reader can sleep in poll():
 * left in a ring, they would make poll() return at once, and the reader would wake every 10 ms instead of
 * ~10 times a second at 10k connections/s (BENCHMARKS.md, "Tracer"). Two holds alternate: the
 * one filled in a drain is merged and emptied in the next.
 */
public final class PerCpuRings implements RecordSource {
    static final int KEY_OFFSET = CtEventLayout.EMIT_NS;
    /** Records younger than this at a drain wait for the next one. */
    static final long SETTLE_NANOS = 1_000_000L;
    /** Each hold: ~9,000 records, the newest 1 ms at 9M events/s; more stays in the kernel's rings. */
    private static final int HOLD_BYTES = 1 << 20;
    private final RingBufferReader[] sources; // the kernel's rings, then the current hold
    private final int rings;
    private final HeapRing[] holds;
    private int current;
    private final DirectPoll poller; // null: in-heap rings
    private final long settleNanos;
    // the merge's min-heap of source indexes, keyed by each source's head emit_ns
    private final int[] heap;
    private final long[] heads;

    /** Maps ring buffer maps {@code fds}, each of {@code size} bytes. */
    public static PerCpuRings map(int[] fds, int size) {
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
        return new PerCpuRings(rings, new DirectPoll(fds, LibC.POLLIN), SETTLE_NANOS, HOLD_BYTES);
    }

    /** {@code holdBytes}: each hold's size, a power of two. */
    PerCpuRings(RingBufferReader[] rings, DirectPoll poller, long settleNanos, int holdBytes) {
        this.rings = rings.length;
        this.holds = new HeapRing[] {new HeapRing(holdBytes, true), new HeapRing(holdBytes, true)};
        this.sources = new RingBufferReader[rings.length + 1];
        System.arraycopy(rings, 0, sources, 0, rings.length);
        this.sources[rings.length] = holds[current].reader();
        this.poller = poller;
        this.settleNanos = settleNanos;
        this.heap = new int[sources.length];
        this.heads = new long[sources.length];
    }

    /**
     * Runs the merge over {@code rounds} × 2 × {@code records} in two stand-in rings (direct buffers, like the
     * kernel's mapping), in runs of varying length, drained at varying times so that some records wait in the
     * hold, some wait twice, and a small hold sometimes fills — every path the real rings take, so the JIT
     * compiles the read, merge and hold loop before the kernel's first burst and does not throw that code away
     * when real records take a path the warm-up never took (it did, and recompiled the merge several times
     * under load). A reader still in the interpreter drains a few times slower than a compiled one, and a
     * burst right after start then overflowed the ring buffer (BENCHMARKS.md, "Tracer"). Records come out in
     * the order of {@code records}, round after round; returns how many.
     */
    public static long warmUp(byte[][] records, int rounds, RecordHandler handler) {
        Random random = new Random(42);
        int perRound = 2 * records.length;
        HeapRing[] stand = {new HeapRing(1 << 17, true), new HeapRing(1 << 17, true)};
        PerCpuRings merged = new PerCpuRings(new RingBufferReader[] {stand[0].reader(), stand[1].reader()}, null, 0,
                Integer.highestOneBit(RingBufferReader.space(records[0].length) * records.length)); // fills now and then
        long key = 0;
        int ring = 0;
        for (int i = 0; i < rounds; i++) {
            // now and then a burst: more than a publish step (16 KiB) of records in one drain
            int count = i % 50 == 49 ? 20 * perRound : perRound;
            int busy = -1;
            for (int r = 0; r < count; r++) {
                if (random.nextInt(4) == 0) {
                    ring ^= 1; // runs of ~4 from one CPU
                }
                byte[] rec = records[r % records.length].clone();
                ByteBuffer b = ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN);
                b.putLong(KEY_OFFSET, ++key);
                // values that miss the decoder's small caches, as real ones do
                b.putShort(CtEventLayout.LPORT, (short) (1024 + random.nextInt(60000)));
                b.putInt(CtEventLayout.NETNS, 0xF0000000 + random.nextInt(4096));
                boolean reserved = r == count - 1 && i % 7 == 6; // still being written when the reader looks
                int handle = stand[ring].append(rec, reserved);
                if (reserved) {
                    busy = handle;
                }
            }
            merged.drainAt(key + 1 - random.nextInt(perRound), handler); // the newest 0..perRound-1 wait
            if (busy >= 0) {
                stand[ring].commit(busy);
            }
        }
        merged.drainAll(handler);
        return key;
    }

    /** Bytes written by the kernel and not yet taken out of its rings (the hold does not count: poll() ignores it). */
    @Override
    public long pending() {
        long n = 0;
        for (int i = 0; i < rings; i++) {
            n += sources[i].pending();
        }
        return n;
    }

    /**
     * Hands every record older than the cut to {@code handler}, in emit_ns order, and moves the younger ones
     * to the hold; returns how many were handed out. Never blocks.
     */
    @Override
    public int drain(RecordHandler handler) {
        return drainAt(System.nanoTime(), handler); // CLOCK_MONOTONIC, as bpf_ktime_get_ns
    }

    /** {@link #drain} as if the clock read {@code now}. */
    int drainAt(long now, RecordHandler handler) {
        return merge(now - settleNanos, handler);
    }

    /** Everything committed, in emit_ns order: for after the programs were detached (nothing can come between). */
    @Override
    public int drainAll(RecordHandler handler) {
        return merge(Long.MAX_VALUE, handler);
    }

    private int merge(long cut, RecordHandler handler) {
        int hold = rings; // the current hold's index in sources
        HeapRing next = holds[current ^ 1];
        int size = 0;
        for (int i = 0; i < sources.length; i++) {
            long k = sources[i].headKey(KEY_OFFSET);
            if (k != Long.MAX_VALUE) {
                heads[i] = k;
                heap[size] = i;
                siftUp(size++);
            }
        }
        int n = 0;
        try {
            while (size > 0) {
                int s = heap[0];
                RingBufferReader source = sources[s];
                if (heads[s] < cut) {
                    source.consumeHead(handler);
                    n++;
                } else if (s == hold || RingBufferReader.space(source.headLength()) <= next.free() - sources[hold].pending()) {
                    // too young: into the next hold (always room for what the current hold still has)
                    source.moveHeadTo(next);
                } else {
                    heap[0] = heap[--size]; // no room: the rest of this ring stays in it, merged next time
                    siftDown(size);
                    continue;
                }
                long k = source.headKey(KEY_OFFSET);
                if (k != Long.MAX_VALUE) {
                    heads[s] = k;
                } else {
                    heap[0] = heap[--size];
                }
                siftDown(size);
            }
        } finally {
            for (RingBufferReader r : sources) {
                r.publish();
            }
            if (sources[hold].pending() == 0) { // emptied (always, unless a handler threw): the next hold takes over
                current ^= 1;
                sources[hold] = holds[current].reader();
            }
        }
        return n;
    }

    private void siftUp(int at) {
        int source = heap[at];
        while (at > 0) {
            int parent = (at - 1) >>> 1;
            if (heads[heap[parent]] <= heads[source]) {
                break;
            }
            heap[at] = heap[parent];
            at = parent;
        }
        heap[at] = source;
    }

    private void siftDown(int size) {
        if (size == 0) {
            return;
        }
        int at = 0;
        int source = heap[0];
        while (true) {
            int child = 2 * at + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heads[heap[child + 1]] < heads[heap[child]]) {
                child++;
            }
            if (heads[source] <= heads[heap[child]]) {
                break;
            }
            heap[at] = heap[child];
            at = child;
        }
        heap[at] = source;
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
        for (int i = 0; i < rings; i++) {
            sources[i].close();
        }
    }
}
