package dev.conntrail.producer.bpf.libbpf;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.conntrail.producer.sys.LibC;

/** mmap(2) of a BPF map's fd (the ring buffer's pages, an mmapable array), shared; a failure is a BpfException with errno. */
public final class MapMemory {
    private MapMemory() {
    }

    /** {@code what}: named in the error, e.g. "the ring buffer's data". */
    public static Pointer map(int fd, long length, int prot, long offset, String what) {
        Pointer p = LibC.INSTANCE.mmap(null, length, prot, LibC.MAP_SHARED, fd, offset);
        if (Pointer.nativeValue(p) == -1L) {
            throw new BpfException("mmap of " + what, -Native.getLastError());
        }
        return p;
    }
}
