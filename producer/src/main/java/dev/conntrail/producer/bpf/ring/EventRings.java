package dev.conntrail.producer.bpf.ring;

import dev.conntrail.producer.bpf.libbpf.BpfException;
import dev.conntrail.producer.bpf.libbpf.BpfMap;
import dev.conntrail.producer.bpf.libbpf.BpfObject;
import dev.conntrail.producer.bpf.libbpf.Libbpf;
import dev.conntrail.producer.sys.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The ring buffers behind the tracer's {@code events} map of maps (bpf/tracer.bpf.c): one per CPU for the
 * state program, and in exact mode one more per CPU for the accept exits. Created here (libbpf 1.1 cannot
 * size a map of maps' template), handed to the object before load as the template, put in their slots
 * after. Owns the fds.
 */
public final class EventRings implements AutoCloseable {
    private static final int BPF_MAP_TYPE_RINGBUF = 27;
    /** Default ring size per CPU: 4 MiB up to 8 CPUs, then less, never under 1 MiB (at most max(32 MiB, 1 MiB per CPU) in all). */
    static final int MAX_DEFAULT_BYTES = 4 << 20;
    static final int MIN_DEFAULT_BYTES = 1 << 20;
    private final Libbpf lib;
    private final int[] fds;
    private final int cpus;
    private final int ringBytes;

    /**
     * Creates the rings: {@code cpus} of them, twice that with {@code acceptExits}; {@code ringBytes} each
     * (0: {@link #defaultBytes}).
     */
    public EventRings(Libbpf lib, int cpus, int ringBytes, boolean acceptExits) {
        this.lib = lib;
        this.cpus = cpus;
        this.ringBytes = ringBytes > 0 ? ringBytes : defaultBytes(cpus);
        this.fds = new int[acceptExits ? 2 * cpus : cpus];
        Arrays.fill(fds, -1);
        try {
            for (int i = 0; i < fds.length; i++) {
                int fd = lib.bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ct_events", 0, 0, this.ringBytes, null);
                if (fd < 0) {
                    BpfObject.failIfNoPermission(-fd);
                    throw new BpfException("creating a " + this.ringBytes + "-byte ring buffer (" + (i + 1) + " of "
                            + fds.length + ")", fd);
                }
                fds[i] = fd;
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    static int defaultBytes(int cpus) {
        int share = Integer.highestOneBit((32 << 20) / Math.max(1, cpus));
        return Math.max(MIN_DEFAULT_BYTES, Math.min(MAX_DEFAULT_BYTES, share));
    }

    /** Before load: the map of maps' template and size (slots for both ring sets, so exact mode fits the same object). */
    public void configure(BpfMap events) {
        events.setInnerMapFd(fds[0]);
        events.setMaxEntries(2 * cpus);
    }

    /** After load: each ring into its slot. */
    public void install(BpfMap events) {
        for (int slot = 0; slot < fds.length; slot++) {
            byte[] key = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(slot).array();
            byte[] value = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(fds[slot]).array();
            events.update(key, value, Libbpf.BPF_ANY);
        }
    }

    public int[] fds() {
        return fds.clone();
    }

    public int cpus() {
        return cpus;
    }

    public int ringBytes() {
        return ringBytes;
    }

    /** Closes our fds; the rings live on while the object's map holds them. */
    @Override
    public void close() {
        for (int i = 0; i < fds.length; i++) {
            if (fds[i] >= 0) {
                LibC.INSTANCE.close(fds[i]);
                fds[i] = -1;
            }
        }
    }
}
