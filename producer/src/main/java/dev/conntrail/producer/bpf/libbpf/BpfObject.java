package dev.conntrail.producer.bpf.libbpf;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.conntrail.producer.sys.Errno;
import dev.conntrail.producer.sys.LibC;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A BPF ELF object opened from bytes through libbpf: find programs and maps by name, size maps and
 * choose programs before {@link #load()}, attach after. Errors that mean "BPF is not usable here"
 * are {@link BpfUnavailableException}s naming the cause (libbpf missing, no BTF, no permission,
 * program refused — with the tail of libbpf's log).
 */
public final class BpfObject implements AutoCloseable {
    private static final Path VMLINUX_BTF = Path.of("/sys/kernel/btf/vmlinux");

    private final Libbpf lib;
    private final Memory elf; // libbpf may refer to the buffer until load; keep it alive with the object
    private final String name;
    private Pointer obj;

    private BpfObject(Libbpf lib, Memory elf, Pointer obj, String name) {
        this.lib = lib;
        this.elf = elf;
        this.obj = obj;
        this.name = name;
    }

    /** Opens a classpath resource (e.g. {@code /bpf/tracer.bpf.o}). */
    public static BpfObject openResource(String resource) {
        try (InputStream in = BpfObject.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("BPF object " + resource + " is not on the classpath (broken build)");
            }
            return open(in.readAllBytes(), resource);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens an ELF object from memory (bpf_object__open_mem). */
    public static BpfObject open(byte[] elfBytes, String name) {
        Libbpf lib = Libbpf.load();
        checkBtf();
        Memory mem = new Memory(elfBytes.length);
        mem.write(0, elfBytes, 0, elfBytes.length);
        try (LibbpfLog.Capture log = LibbpfLog.capture(lib)) {
            // struct bpf_object_open_opts { size_t sz; const char *object_name; ... }: only the name is set
            String objectName = name.replaceAll("^.*/", "").replaceAll("\\.bpf\\.o$|\\.o$", "");
            Memory nameMem = new Memory(objectName.length() + 1L);
            nameMem.setString(0, objectName, "US-ASCII");
            Memory opts = new Memory(16);
            opts.setLong(0, 16);
            opts.setPointer(8, nameMem);
            Pointer obj = lib.bpf_object__open_mem(mem, elfBytes.length, opts);
            if (obj == null) {
                int errno = Native.getLastError();
                throw new BpfUnavailableException(BpfUnavailableException.Reason.OTHER,
                        "libbpf could not open BPF object " + name + ": " + Errno.describe(errno)
                                + (log.text().isBlank() ? "" : "; " + log.tail(4)));
            }
            return new BpfObject(lib, mem, obj, name);
        }
    }

    /** Throws NO_BTF when the kernel exposes no BTF (CO-RE needs it). */
    public static void checkBtf() {
        if (!Files.isReadable(VMLINUX_BTF)) {
            throw new BpfUnavailableException(BpfUnavailableException.Reason.NO_BTF,
                    "this kernel has no BTF (" + VMLINUX_BTF + " missing or unreadable): the CO-RE BPF programs need"
                            + " a kernel built with CONFIG_DEBUG_INFO_BTF=y");
        }
    }

    public String name() {
        return name;
    }

    public BpfProgram program(String programName) {
        Pointer p = lib.bpf_object__find_program_by_name(live(), programName);
        if (p == null) {
            throw new IllegalArgumentException("no program " + programName + " in BPF object " + name);
        }
        return new BpfProgram(lib, p, programName);
    }

    public BpfMap map(String mapName) {
        Pointer m = lib.bpf_object__find_map_by_name(live(), mapName);
        if (m == null) {
            throw new IllegalArgumentException("no map " + mapName + " in BPF object " + name);
        }
        return new BpfMap(lib, m, mapName);
    }

    public List<String> programNames() {
        List<String> names = new ArrayList<>();
        for (Pointer p = lib.bpf_object__next_program(live(), null); p != null; p = lib.bpf_object__next_program(obj, p)) {
            names.add(lib.bpf_program__name(p));
        }
        return names;
    }

    /**
     * Loads every program with autoload on and creates the maps. Refusals become
     * {@link BpfUnavailableException} (NO_PERMISSION when this process lacks CAP_BPF/CAP_SYS_ADMIN,
     * else PROGRAM_REFUSED with libbpf's log).
     */
    public void load() {
        try (LibbpfLog.Capture log = LibbpfLog.capture(lib)) {
            int rc = lib.bpf_object__load(live());
            if (rc < 0) {
                int errno = -rc;
                failIfNoPermission(errno);
                throw new BpfUnavailableException(BpfUnavailableException.Reason.PROGRAM_REFUSED,
                        "the kernel refused BPF object " + name + ": " + Errno.describe(errno)
                                + (log.text().isBlank() ? "" : "; " + log.tail(6)));
            }
        }
    }

    /** A refusal ({@code errno}) of a process without the capabilities BPF needs: NO_PERMISSION, with what to do. */
    public static void failIfNoPermission(int errno) {
        if ((errno == LibC.EPERM || errno == LibC.EACCES) && !Capabilities.canLoadBpf()) {
            throw new BpfUnavailableException(BpfUnavailableException.Reason.NO_PERMISSION,
                    "no permission to load BPF programs (" + Errno.describe(errno) + "): run as root or grant"
                            + " CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN on kernels before 5.8)");
        }
    }

    /** The libbpf handle, for calls not wrapped here. */
    public Pointer handle() {
        return live();
    }

    public Libbpf lib() {
        return lib;
    }

    private Pointer live() {
        if (obj == null) {
            throw new IllegalStateException("BPF object " + name + " is closed");
        }
        return obj;
    }

    @Override
    public synchronized void close() {
        if (obj != null) {
            lib.bpf_object__close(obj);
            obj = null;
        }
        elf.close();
    }
}
