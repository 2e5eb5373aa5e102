package dev.conntrail.producer.doctor;

import dev.conntrail.producer.bpf.libbpf.BpfUnavailableException;
import dev.conntrail.producer.bpf.libbpf.Capabilities;
import dev.conntrail.producer.bpf.libbpf.Libbpf;
import dev.conntrail.producer.sys.LibC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What the host is: kernel, BTF, libbpf, and this process's effective capabilities. */
final class HostProbe {
    static final Path VMLINUX_BTF = Path.of("/sys/kernel/btf/vmlinux");
    private static final String UNIT = "deploy/conntrail-producer.service";

    private HostProbe() {
    }

    /** The kernel release and machine ({@code uname -r}, {@code uname -m}). */
    static Report.Kernel kernel() {
        String release = firstLine(Path.of("/proc/sys/kernel/osrelease"));
        if (release == null) {
            release = System.getProperty("os.version", "unknown");
        }
        String arch = firstLine(Path.of("/proc/sys/kernel/arch")); // Linux 6.1+
        if (arch == null) {
            arch = switch (System.getProperty("os.arch", "unknown")) {
                case "amd64" -> "x86_64";
                case "arm64" -> "aarch64";
                default -> System.getProperty("os.arch", "unknown");
            };
        }
        return new Report.Kernel(release, arch);
    }

    static Check kernelCheck(Report.Kernel k) {
        return Check.ok("kernel", "Linux " + k.release() + " " + k.arch());
    }

    /**
     * JNA, through which every native call goes (libbpf, netlink, setns): its native part is unpacked to a temporary
     * directory and loaded; a noexec or unwritable one stops it.
     */
    static Check jna() {
        try {
            int page = LibC.INSTANCE.getpagesize();
            return Check.ok("jna", "JNA " + com.sun.jna.Native.VERSION + " loaded; libc bound (page size " + page + ")");
        } catch (LinkageError | RuntimeException e) {
            String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
            return Check.loss("jna", Status.unavailable, "JNA's native library cannot load: " + msg,
                    "the agent stops at start: libbpf, netlink and setns are all called through JNA",
                    "give JNA a writable temporary directory that allows exec: -Djna.tmpdir=DIR in CONNTRAIL_JAVA_OPTS")
                    .withDetail(msg);
        }
    }

    /** A check not tried because JNA cannot load. */
    static Check withoutJna(String name) {
        return Check.note(name, Status.unavailable, "not tried: JNA cannot load (see jna)", "see jna", "see jna");
    }

    static Check btf() {
        if (!Files.isReadable(VMLINUX_BTF)) {
            return Check.note("btf", Status.unavailable, VMLINUX_BTF + " is missing or unreadable",
                    "no eBPF: the CO-RE programs (tracer, socket iterator) need the kernel's BTF",
                    "a kernel built with CONFIG_DEBUG_INFO_BTF=y");
        }
        String size;
        try {
            size = " (" + mib(Files.size(VMLINUX_BTF)) + ")";
        } catch (IOException e) {
            size = "";
        }
        return Check.ok("btf", VMLINUX_BTF + size);
    }

    static Check libbpf() {
        Libbpf lib;
        try {
            lib = Libbpf.load();
        } catch (BpfUnavailableException e) {
            return Check.note("libbpf", Status.unavailable, "libbpf.so.1 cannot be loaded",
                    "no eBPF: the tracer and the socket iterator are loaded through libbpf",
                    "install libbpf 1.x (Debian/Ubuntu: apt-get install libbpf1)").withDetail(e.getMessage());
        }
        String version;
        try {
            version = "libbpf " + lib.libbpf_major_version() + "." + lib.libbpf_minor_version();
        } catch (UnsatisfiedLinkError e) {
            version = "libbpf.so.1 (older than 0.6: no version call)";
        }
        return Check.ok("libbpf", version + " loaded");
    }

    /** One capability: its number, name, what the agent uses it for, and what it loses without. */
    private record Cap(int number, String name, String use, String cost) {
    }

    private static final List<Cap> CAPS = List.of(
            new Cap(Capabilities.CAP_BPF, "CAP_BPF", "load the BPF programs and maps (tracer, socket iterator)",
                    "no eBPF: the agent polls /proc (no socket cookies, short connections missed)"),
            new Cap(Capabilities.CAP_PERFMON, "CAP_PERFMON", "attach tracing programs (tp_btf, iterators) that read kernel memory",
                    "no eBPF: the agent polls /proc (no socket cookies, short connections missed)"),
            new Cap(Capabilities.CAP_NET_ADMIN, "CAP_NET_ADMIN", "read conntrack over ctnetlink (NAT entries)",
                    "no NAT entries on conntrack-nat"),
            new Cap(Capabilities.CAP_SYS_PTRACE, "CAP_SYS_PTRACE",
                    "read other users' /proc/PID/fd links and /proc/PID/ns/net, and borrow their fds (pidfd_getfd) to"
                            + " make socket cookies",
                    "other users' sockets lose their owner on the sock_diag and /proc paths; their namespaces cannot be"
                            + " opened; the iterator cannot make their missing cookies"),
            new Cap(Capabilities.CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH", "list other users' /proc/PID/fd directories",
                    "other users' sockets lose their owner on the sock_diag and /proc paths"),
            new Cap(Capabilities.CAP_SYS_ADMIN, "CAP_SYS_ADMIN",
                    "enter other network namespaces (setns) for snapshots and --conntrack-netns all",
                    "only this namespace is read by sock_diag, /proc and conntrack"));

    /**
     * One check per capability the agent uses. A missing one is a note: the functional checks (tracer, netns
     * entry, ...) show what it costs here. CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON.
     */
    static List<Check> capabilities(long effective) {
        List<Check> out = new ArrayList<>();
        boolean sysAdmin = Capabilities.has(effective, Capabilities.CAP_SYS_ADMIN);
        for (Cap c : CAPS) {
            if (Capabilities.has(effective, c.number())) {
                out.add(Check.ok(c.name(), "present: " + c.use()));
            } else if (sysAdmin && (c.number() == Capabilities.CAP_BPF || c.number() == Capabilities.CAP_PERFMON)) {
                out.add(Check.ok(c.name(), "missing; CAP_SYS_ADMIN stands in for it: " + c.use()));
            } else {
                out.add(Check.note(c.name(), Status.degraded, "missing: used to " + c.use(), c.cost(),
                        "grant " + c.name() + " (or run as root): AmbientCapabilities in " + UNIT));
            }
        }
        return out;
    }

    static String mib(long bytes) {
        return bytes >= 1 << 20 ? String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0) : (bytes >> 10) + " KiB";
    }

    static String firstLine(Path p) {
        try {
            List<String> lines = Files.readAllLines(p);
            return lines.isEmpty() || lines.get(0).isBlank() ? null : lines.get(0).strip();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
