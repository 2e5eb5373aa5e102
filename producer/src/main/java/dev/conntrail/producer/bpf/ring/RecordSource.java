package dev.conntrail.producer.bpf.ring;

import java.nio.ByteBuffer;

/** Where ring buffer records come from: {@link RingBufferReader} (mmap, the default) or {@link LibbpfRingBuffer}. */
public interface RecordSource extends AutoCloseable {
    /** Called for each committed record: a little-endian buffer, the record's data offset and length. */
    @FunctionalInterface
    interface RecordHandler {
        void onRecord(ByteBuffer data, int offset, int length);
    }

    /** Waits up to {@code timeoutMillis} for data (a reader may deliver records to its handler meanwhile). */
    boolean await(int timeoutMillis) throws InterruptedException;

    /** Bytes (or records) waiting; 0 when there is nothing to read. */
    long pending();

    /** Delivers the committed records that are ready (a source may hold back the newest); returns how many. */
    int drain(RecordHandler handler);

    /** Delivers every committed record, holding none back: once nothing more can arrive (programs detached). */
    default int drainAll(RecordHandler handler) {
        return drain(handler);
    }

    @Override
    void close();
}
