package dev.conntrail.producer.bpf.ring;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.conntrail.producer.bpf.libbpf.BpfException;
import dev.conntrail.producer.bpf.libbpf.Libbpf;
import java.nio.ByteOrder;

/**
 * libbpf's own ring buffer reader (ring_buffer__poll with a JNA callback per record). Kept to
 * measure against {@link PerCpuRings} (bench/tracer-bench.sh, --reader libbpf); slower
 * because every record crosses native→Java through a JNA callback. For measurement only: it reads
 * the CPUs' rings one after the other, without merging them by time, so a socket's CLOSE can come
 * before its CONNECT.
 */
public final class LibbpfRingBuffer implements RecordSource {
    private final Libbpf lib;
    private Pointer rb;
    private RecordHandler handler;
    // kept in a field: libbpf holds the function pointer for the ring buffer's lifetime
    private final Libbpf.RingBufferSampleFn callback = this::onSample;

    public LibbpfRingBuffer(Libbpf lib, int[] mapFds, RecordHandler handler) {
        this.lib = lib;
        this.handler = handler;
        this.rb = lib.ring_buffer__new(mapFds[0], callback, Pointer.NULL, Pointer.NULL);
        if (rb == null) {
            throw new BpfException("ring_buffer__new", -Native.getLastError());
        }
        for (int i = 1; i < mapFds.length; i++) {
            int rc = lib.ring_buffer__add(rb, mapFds[i], callback, Pointer.NULL);
            if (rc < 0) {
                close();
                throw new BpfException("ring_buffer__add", rc);
            }
        }
    }

    private int onSample(Pointer ctx, Pointer data, long size) {
        handler.onRecord(data.getByteBuffer(0, size).order(ByteOrder.LITTLE_ENDIAN), 0, (int) size);
        return 0;
    }

    @Override
    public boolean await(int timeoutMillis) {
        return lib.ring_buffer__poll(rb, timeoutMillis) > 0;
    }

    /** libbpf's reader does not expose positions; its poll consumes what is there. */
    @Override
    public long pending() {
        return 0;
    }

    @Override
    public int drain(RecordHandler h) {
        this.handler = h;
        return Math.max(0, lib.ring_buffer__consume(rb));
    }

    @Override
    public synchronized void close() {
        if (rb != null) {
            lib.ring_buffer__free(rb);
            rb = null;
        }
    }
}
