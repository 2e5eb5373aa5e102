package dev.conntrail.producer.bpf.libbpf;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** An attached program (bpf_link); closing detaches it. */
public final class BpfLink implements AutoCloseable {
    private final Libbpf lib;
    private Pointer link;
    private final String program;

    BpfLink(Libbpf lib, Pointer link, String program) {
        this.lib = lib;
        this.link = link;
        this.program = program;
    }

    public String program() {
        return program;
    }

    public int fd() {
        return lib.bpf_link__fd(link);
    }

    /**
     * For an iterator link: a new iterator instance (bpf_iter_create); read it to the end with
     * {@link java.io.FileInputStream} over {@code /proc/self/fd/N} or
     * {@link dev.conntrail.producer.sys.LibC#read}, then close the fd.
     */
    public int createIterator() {
        int fd = lib.bpf_iter_create(fd());
        if (fd < 0) {
            int errno = fd == -1 ? Native.getLastError() : -fd;
            throw new BpfException("bpf_iter_create for " + program, -errno);
        }
        return fd;
    }

    @Override
    public synchronized void close() {
        if (link != null) {
            lib.bpf_link__destroy(link);
            link = null;
        }
    }
}
