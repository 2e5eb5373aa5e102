package dev.conntrail.producer.bpf.ring;

import com.sun.jna.Pointer;
import dev.conntrail.producer.bpf.libbpf.BpfException;
import dev.conntrail.producer.bpf.libbpf.MapMemory;
import dev.conntrail.producer.sys.LibC;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads one BPF ring buffer map in place, a record at a time: the consumer page is mapped read-write,
 * the producer page and the data area (mapped twice by the kernel, so records never wrap) read-only;
 * records are read straight out of the mapping — no copy, no native call per record (layout:
 * kernel/bpf/ringbuf.c, an 8-byte header {u32 len with BUSY (bit 31) and DISCARD (bit 30), u32 pg_off},
 * 8-byte aligned). {@link PerCpuRings} merges several. One reader thread only.
 */
final class RingBufferReader implements AutoCloseable {
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    static final int BUSY_BIT = 1 << 31;
    static final int DISCARD_BIT = 1 << 30;
    static final int HEADER = 8;
    /**
     * The consumer position is published every this many bytes, not per record: every BPF reserve
     * reads it, so a write per record moves its cache line between the reader's CPU and the
     * producer's on every event. Small against the buffer, so the kernel still sees space freed.
     */
    private static final long PUBLISH_BYTES = 16 * 1024;

    private final LibC libc;
    private final int fd;
    private final int page;
    private final long size;
    private final long mask;
    private Pointer consumerMap;
    private Pointer producerMap;
    private final ByteBuffer consumer;
    private final ByteBuffer producer;
    private long position; // consumed up to here
    private long published; // the consumer position the kernel last saw
    private long producerSeen;
    private int headOffset = -1; // the record headKey found, until consumeHead
    private int headLength;

    /** Maps ring buffer map {@code fd} of {@code size} bytes (its max_entries). */
    RingBufferReader(int fd, int size) {
        this.libc = LibC.INSTANCE;
        this.fd = fd;
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
        position = published = (long) LONG.getAcquire(consumer, 0);
    }

    /**
     * A reader over in-heap pages laid out like the mapping ({@code producer}: the producer position's page,
     * then {@code size} bytes of data; records must not wrap): JIT warm-up and tests. fd -1.
     */
    RingBufferReader(ByteBuffer consumer, ByteBuffer producer, int page, int size) {
        this.libc = null;
        this.fd = -1;
        this.page = page;
        this.size = size;
        this.mask = size - 1L;
        this.consumer = consumer;
        this.producer = producer;
        position = published = consumer.getLong(0);
    }

    int fd() {
        return fd;
    }

    /**
     * The little-endian long at {@code keyOffset} of the next committed record's data (discarded records
     * are skipped), or {@link Long#MAX_VALUE} when there is none yet (empty, or the next one is still
     * reserved). Stays on that record until {@link #consumeHead}.
     */
    long headKey(int keyOffset) {
        while (headOffset < 0) {
            if (position >= producerSeen) {
                producerSeen = (long) LONG.getAcquire(producer, 0);
                if (position >= producerSeen) {
                    return Long.MAX_VALUE;
                }
            }
            int off = (int) (page + (position & mask));
            int len = (int) INT.getAcquire(producer, off);
            if ((len & BUSY_BIT) != 0) {
                return Long.MAX_VALUE; // reserved, not yet committed: come back later
            }
            int dataLen = len & ~(BUSY_BIT | DISCARD_BIT);
            if ((len & DISCARD_BIT) != 0) {
                advance(dataLen);
            } else {
                headOffset = off + HEADER;
                headLength = dataLen;
            }
        }
        return producer.getLong(headOffset + keyOffset);
    }

    /** Data length of the record {@link #headKey} found. */
    int headLength() {
        return headLength;
    }

    /** Hands the record {@link #headKey} found to {@code handler} and moves past it. */
    void consumeHead(RecordSource.RecordHandler handler) {
        int off = headOffset;
        headOffset = -1;
        advance(headLength); // first: a handler that throws must not get the record again
        handler.onRecord(producer, off, headLength);
    }

    /** Moves the record {@link #headKey} found into {@code target}, which must have room for it. */
    void moveHeadTo(HeapRing target) {
        int off = headOffset;
        headOffset = -1;
        advance(headLength);
        target.append(producer, off, headLength);
    }

    /** Ring bytes a record of {@code length} data bytes takes: header and padding to 8 bytes included. */
    static int space(int length) {
        return (length + HEADER + 7) & ~7;
    }

    private void advance(int dataLen) {
        position += space(dataLen);
        if (position - published >= PUBLISH_BYTES) {
            publish();
        }
    }

    /** Frees what was consumed for the kernel (also done every {@code PUBLISH_BYTES}). */
    void publish() {
        if (position != published) {
            LONG.setRelease(consumer, 0, position);
            published = position;
        }
    }

    /** Bytes written by the kernel and not yet consumed. */
    long pending() {
        return (long) LONG.getAcquire(producer, 0) - position;
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
