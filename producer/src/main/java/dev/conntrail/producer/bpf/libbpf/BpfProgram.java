package dev.conntrail.producer.bpf.libbpf;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.conntrail.producer.sys.Errno;

/** One program of a {@link BpfObject}. */
public final class BpfProgram {
    private final Libbpf lib;
    private final Pointer prog;
    private final String name;

    BpfProgram(Libbpf lib, Pointer prog, String name) {
        this.lib = lib;
        this.prog = prog;
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Before load: whether this program is loaded at all (skip the ones this kernel cannot take). */
    public void setAutoload(boolean autoload) {
        int rc = lib.bpf_program__set_autoload(prog, autoload);
        if (rc < 0) {
            throw new BpfException("set_autoload of program " + name, rc);
        }
    }

    public boolean autoload() {
        return lib.bpf_program__autoload(prog);
    }

    public int fd() {
        return lib.bpf_program__fd(prog);
    }

    /**
     * Runs the kernel skipped because the program was already running on that CPU (a run interrupted by
     * an interrupt that fires the same hook): bpf_prog_info.recursion_misses (Linux 5.12+; 0 before).
     */
    public long recursionMisses() {
        Memory info = new Memory(PROG_INFO_BYTES);
        info.clear();
        int[] len = {PROG_INFO_BYTES};
        int rc = lib.bpf_obj_get_info_by_fd(fd(), info, len);
        if (rc < 0) {
            throw new BpfException("reading the info of program " + name, rc);
        }
        return len[0] >= RECURSION_MISSES_OFFSET + 8 ? info.getLong(RECURSION_MISSES_OFFSET) : 0;
    }

    /** struct bpf_prog_info (include/uapi/linux/bpf.h): its size in Linux 6.x, and recursion_misses' offset. */
    private static final int PROG_INFO_BYTES = 232;
    private static final int RECURSION_MISSES_OFFSET = 208;

    /** Attaches by the program's section (tp_btf/..., tracepoint/..., ...). */
    public BpfLink attach() {
        try (LibbpfLog.Capture log = LibbpfLog.capture(lib)) {
            Pointer link = lib.bpf_program__attach(prog);
            if (link == null) {
                int errno = Native.getLastError();
                throw new BpfUnavailableException(BpfUnavailableException.Reason.PROGRAM_REFUSED,
                        "attaching BPF program " + name + " failed: " + Errno.describe(errno)
                                + (log.text().isBlank() ? "" : "; " + log.tail(4)));
            }
            return new BpfLink(lib, link, name);
        }
    }

    /** Attaches an iterator program (iter/...) with no options; see {@link BpfLink#createIterator()}. */
    public BpfLink attachIterator() {
        try (LibbpfLog.Capture log = LibbpfLog.capture(lib)) {
            Pointer link = lib.bpf_program__attach_iter(prog, Pointer.NULL);
            if (link == null) {
                int errno = Native.getLastError();
                throw new BpfUnavailableException(BpfUnavailableException.Reason.PROGRAM_REFUSED,
                        "attaching BPF iterator " + name + " failed: " + Errno.describe(errno)
                                + (log.text().isBlank() ? "" : "; " + log.tail(4)));
            }
            return new BpfLink(lib, link, name);
        }
    }
}
