package dev.conntrail.producer.bpf.ring;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A BPF ring buffer in Java memory, laid out like the kernel's mapping and written the way the kernel
 * writes it (the producer position moves at reserve, the header stays BUSY until submit): the reader's
 * hold for records not yet due ({@link PerCpuRings}), the JIT warm-up's stand-in for the kernel's rings,
 * and tests of the reader without a kernel.
 */
final class HeapRing {
    private static final int PAGE = 4096;
    private final int size;
    private final ByteBuffer consumer = ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer producer;
    private final RingBufferReader reader;
    private long position;

    /** {@code size}: a power of two. */
    HeapRing(int size) {
        this(size, false);
    }

    /**
     * {@code direct}: the data in a direct buffer, like the kernel's mapping, so that a JIT warm-up over it
     * profiles the buffer class the real rings have (a warm-up over heap buffers only was recompiled by C2
     * once the real rings arrived).
     */
    HeapRing(int size, boolean direct) {
        this.size = size;
        // the data twice over, as the kernel maps it, so a record near the end does not wrap
        int length = PAGE + 2 * size;
        this.producer = (direct ? ByteBuffer.allocateDirect(length) : ByteBuffer.allocate(length)).order(ByteOrder.LITTLE_ENDIAN);
        this.reader = new RingBufferReader(consumer, producer, PAGE, size);
    }

    RingBufferReader reader() {
        return reader;
    }

    /**
     * Reserves space for {@code data} and writes it; committed at once unless {@code busy} (then call
     * {@link #commit}). Returns the record's handle, or -1 when the ring is full (as the kernel's reserve).
     */
    int append(byte[] data, boolean busy) {
        return append(ByteBuffer.wrap(data), 0, data.length, busy);
    }

    /** {@link #append(byte[], boolean)} of {@code length} bytes of {@code src} from {@code offset}, committed. */
    int append(ByteBuffer src, int offset, int length) {
        return append(src, offset, length, false);
    }

    private int append(ByteBuffer src, int offset, int length, boolean busy) {
        int step = RingBufferReader.space(length);
        if (step > free()) {
            return -1;
        }
        int off = (int) (PAGE + (position & (size - 1)));
        producer.put(off + RingBufferReader.HEADER, src, offset, length);
        producer.putInt(off, length | (busy ? RingBufferReader.BUSY_BIT : 0));
        position += step;
        producer.putLong(0, position);
        return off;
    }

    /** Bytes free for records (as far as the reader has published what it consumed). */
    long free() {
        return size - (position - consumer.getLong(0));
    }

    /** Submits a record {@link #append} left busy. */
    void commit(int handle) {
        producer.putInt(handle, producer.getInt(handle) & ~RingBufferReader.BUSY_BIT);
    }
}
