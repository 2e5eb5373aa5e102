package dev.conntrail.producer.bpf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A BPF ring buffer in heap memory, laid out like the kernel's mapping and written the way the kernel
 * writes it (the producer position moves at reserve, the header stays BUSY until submit): for warming
 * the JIT ({@link PerCpuRings#warmUp}) and for tests of the reader without a kernel.
 */
final class HeapRing {
    private static final int PAGE = 4096;
    private final int size;
    private final ByteBuffer consumer = ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer producer;
    private final RingBufferReader reader;
    private long position;

    /** {@code size}: a power of two, at least a page. */
    HeapRing(int size) {
        this.size = size;
        // the data twice over, as the kernel maps it, so a record near the end does not wrap
        this.producer = ByteBuffer.allocate(PAGE + 2 * size).order(ByteOrder.LITTLE_ENDIAN);
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
        int step = (data.length + RingBufferReader.HEADER + 7) & ~7;
        if (position + step - consumer.getLong(0) > size) {
            return -1;
        }
        int off = (int) (PAGE + (position & (size - 1)));
        producer.put(off + RingBufferReader.HEADER, data);
        producer.putInt(off, data.length | (busy ? RingBufferReader.BUSY_BIT : 0));
        position += step;
        producer.putLong(0, position);
        return off;
    }

    /** Submits a record {@link #append} left busy. */
    void commit(int handle) {
        producer.putInt(handle, producer.getInt(handle) & ~RingBufferReader.BUSY_BIT);
    }
}
