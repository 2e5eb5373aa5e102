package dev.conntrail.producer.bpf.ring;

import com.sun.jna.Pointer;
import dev.conntrail.producer.bpf.libbpf.MapMemory;
import dev.conntrail.producer.sys.LibC;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The tracer's {@code reader_sleeping} flag (bpf/tracer.bpf.c), mapped: the reader sets it right before
 * it sleeps in poll(), and the first record that finds enough data waiting clears it and wakes the reader
 * — one kernel wake-up per sleep. A store into the mapping, not a syscall per sleep.
 */
public final class ReaderSleepFlag implements AutoCloseable {
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private final LibC libc = LibC.INSTANCE;
    private final int length;
    private Pointer map;
    private final ByteBuffer flag;

    /** Maps array map {@code fd} (one u32, created with BPF_F_MMAPABLE). */
    public ReaderSleepFlag(int fd) {
        length = libc.getpagesize();
        map = MapMemory.map(fd, length, LibC.PROT_READ | LibC.PROT_WRITE, 0, "the tracer's reader_sleeping map");
        flag = map.getByteBuffer(0, 4).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Asks for one wake-up. A volatile store, ordered before the reader's next look at the ring's producer
     * position; a record on another CPU that does not see it yet only moves the wake-up to a later record,
     * and the poll interval bounds the sleep in any case.
     */
    public void set() {
        INT.setVolatile(flag, 0, 1);
    }

    @Override
    public synchronized void close() {
        if (map != null) {
            libc.munmap(map, length);
            map = null;
        }
    }
}
