package dev.conntrail.producer.bpf;

import com.sun.jna.Pointer;
import dev.conntrail.producer.sys.LibC;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads a BPF ring buffer map in place: the consumer page is mapped read-write, the producer page
 * and the data area (mapped twice by the kernel, so records never wrap) read-only; records are
 * read straight out of the mapping — no copy, no native call per record (layout: kernel/bpf/ringbuf.c,
 * an 8-byte header {u32 len with BUSY (bit 31) and DISCARD (bit 30), u32 pg_off}, 8-byte aligned).
 * One reader thread only.
 */
public final class RingBufferReader implements RecordSource {
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int BUSY_BIT = 1 << 31;
    private static final int DISCARD_BIT = 1 << 30;
    private static final int HEADER = 8;
    /**
     * The consumer position is published every this many bytes, not per record: every BPF reserve
     * reads it, so a write per record moves its cache line between the reader's CPU and the
     * producers' on every event. Small against the buffer, so the kernel still sees space freed.
     */
    private static final long PUBLISH_BYTES = 16 * 1024;

    private final LibC libc;
    private final int page;
    private final long size;
    private final long mask;
    private Pointer consumerMap;
    private Pointer producerMap;
    private final ByteBuffer consumer;
    private final ByteBuffer producer;
    private final DirectPoll poller;

    /** Maps ring buffer map {@code fd} of {@code size} bytes (its max_entries). */
    public RingBufferReader(int fd, int size) {
        this.libc = LibC.INSTANCE;
        this.page = libc.getpagesize();
        this.size = size;
        this.mask = size - 1L;
        consumerMap = MapMemory.map(fd, page, LibC.PROT_READ | LibC.PROT_WRITE, 0, "the ring buffer's consumer page");
        long producerLen = page + 2L * size;
        try {
            producerMap = MapMemory.map(fd, producerLen, LibC.PROT_READ, page, "the ring buffer's data");
        } catch (BpfException e) {
            libc.munmap(consumerMap, page);
            throw e;
        }
        consumer = consumerMap.getByteBuffer(0, page).order(ByteOrder.LITTLE_ENDIAN);
        producer = producerMap.getByteBuffer(0, producerLen).order(ByteOrder.LITTLE_ENDIAN);
        poller = new DirectPoll(fd, LibC.POLLIN);
    }

    /** A reader over in-heap pages laid out like the mapping (warm-up only: {@link #warmUp}); never polls. */
    private RingBufferReader(ByteBuffer consumer, ByteBuffer producer, int page, int size) {
        this.libc = null;
        this.page = page;
        this.size = size;
        this.mask = size - 1L;
        this.consumer = consumer;
        this.producer = producer;
        this.poller = null;
    }

    /**
     * Runs {@link #drain} over {@code rounds} in-heap copies of {@code records} (each {@code recordLen} bytes)
     * so the JIT compiles the read loop before the kernel's first burst arrives: a reader still in the
     * interpreter drains a few times slower than a compiled one, and a burst right after start then
     * overflowed the ring buffer (BENCHMARKS.md, "Tracer").
     */
    static void warmUp(byte[][] records, int rounds, RecordHandler handler) {
        int page = 4096;
        int step = (records[0].length + HEADER + 7) & ~7;
        int size = Integer.highestOneBit(Math.max(page, step * records.length * 2 - 1)) << 1;
        ByteBuffer producer = ByteBuffer.allocate(page + 2 * size).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer consumer = ByteBuffer.allocate(page).order(ByteOrder.LITTLE_ENDIAN);
        RingBufferReader r = new RingBufferReader(consumer, producer, page, size);
        long pos = 0;
        for (int i = 0; i < rounds; i++) {
            for (byte[] rec : records) {
                int off = (int) (page + (pos & r.mask));
                producer.putInt(off, rec.length);
                producer.put(off + HEADER, rec);
                pos += step;
            }
            producer.putLong(0, pos);
            r.drain(handler);
        }
    }

    /** Bytes written by the kernel and not yet consumed. */
    @Override
    public long pending() {
        return (long) LONG.getAcquire(producer, 0) - (long) LONG.getAcquire(consumer, 0);
    }

    /** Hands every committed record to {@code handler}; returns how many. Never blocks. */
    @Override
    public int drain(RecordHandler handler) {
        int n = 0;
        long cons = (long) LONG.getAcquire(consumer, 0);
        long published = cons;
        try {
            while (true) {
                long prod = (long) LONG.getAcquire(producer, 0);
                if (cons >= prod) {
                    return n;
                }
                while (cons < prod) {
                    int off = (int) (page + (cons & mask));
                    int len = (int) INT.getAcquire(producer, off);
                    if ((len & BUSY_BIT) != 0) {
                        return n; // reserved, not yet committed: come back later
                    }
                    int dataLen = len & ~(BUSY_BIT | DISCARD_BIT);
                    if ((len & DISCARD_BIT) == 0) {
                        handler.onRecord(producer, off + HEADER, dataLen);
                        n++;
                    }
                    cons += (dataLen + HEADER + 7) & ~7L;
                    if (cons - published >= PUBLISH_BYTES) {
                        LONG.setRelease(consumer, 0, cons);
                        published = cons;
                    }
                }
            }
        } finally {
            if (cons != published) {
                LONG.setRelease(consumer, 0, cons);
            }
        }
    }

    /** Waits up to {@code timeoutMillis} for the kernel to signal data; true if some is pending. */
    @Override
    public boolean await(int timeoutMillis) {
        if (pending() > 0) {
            return true;
        }
        int rc = poller.await(timeoutMillis);
        return rc > 0 || pending() > 0;
    }

    @Override
    public synchronized void close() {
        if (producerMap != null && libc != null) {
            libc.munmap(producerMap, page + 2L * size);
            libc.munmap(consumerMap, page);
            producerMap = null;
            consumerMap = null;
        }
    }
}
