package dev.conntrail.producer.doctor;

import dev.conntrail.producer.bpf.libbpf.BpfUnavailableException;
import dev.conntrail.producer.bpf.libbpf.Capabilities;
import dev.conntrail.producer.netlink.NetlinkException;
import dev.conntrail.producer.ns.NetNamespace;
import dev.conntrail.producer.ns.NetnsDiscovery;
import dev.conntrail.producer.ns.NetnsEnterer;
import dev.conntrail.producer.snapshot.RawSocket;
import dev.conntrail.producer.snapshot.SockDiagSource;
import dev.conntrail.producer.snapshot.SockIterSource;
import dev.conntrail.producer.snapshot.TcpStates;
import dev.conntrail.producer.sys.Errno;
import dev.conntrail.producer.sys.LibC;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The socket snapshot's paths: the BPF iterator (which program, and whether it can make missing cookies with
 * pidfd_getfd), sock_diag in this namespace, entering another namespace, and other users' {@code /proc/PID/fd}.
 * With the tracer the agent snapshots by the iterator (sock_diag where it misses sockets, or for everything when
 * it does not load); without it, by {@code /proc}.
 */
final class SnapshotProbe {
    private static final int MASK = TcpStates.CONNECTED_MASK | 1 << TcpStates.LISTEN;
    private static final String SYS_ADMIN_FIX = "grant CAP_SYS_ADMIN (or run as root): AmbientCapabilities in"
            + " deploy/conntrail-producer.service";
    private static final String BORROW_FIX = "grant CAP_SYS_PTRACE (or run as root)";

    private SnapshotProbe() {
    }

    /** The agent's snapshot method: the BPF iterator, sock_diag, or /proc (no tracer). */
    enum Snapshots { bpf_iter, sock_diag, proc, error }

    record Result(List<Check> checks, Snapshots snapshots, String iteratorProgram, boolean allNamespaces) {
    }

    static Result run(TracerProbe.Result tracer, long caps, boolean jna) {
        boolean withTracer = tracer.loaded();
        long ownUid = OtherProcesses.ownUid();
        List<Check> checks = new ArrayList<>();
        if (!jna) {
            for (String name : List.of("bpf iterator", "socket cookies", "sock_diag", "netns entry")) {
                checks.add(HostProbe.withoutJna(name));
            }
            checks.add(Guard.check("/proc owners", () -> ownersCheck(ownUid, caps, false)));
            return new Result(checks, Snapshots.error, null, false);
        }
        IterLoad it = Guard.value(SnapshotProbe::iterator, e -> new IterLoad(null, false, null, e, false));
        checks.add(iteratorCheck(it, withTracer));
        checks.add(Guard.check("socket cookies", () -> cookieCheck(it, ownUid, caps)));
        long own = NetnsDiscovery.currentNetns();
        NetNamespace ownNs = new NetNamespace(own, List.of(Path.of("/proc/self/ns/net")), List.of(), null);
        Check sockDiag;
        Check entry;
        try (NetnsEnterer enterer = new NetnsEnterer()) {
            SockDiagSource source = new SockDiagSource(enterer, own);
            sockDiag = Guard.check("sock_diag", () -> sockDiagCheck(source, ownNs, withTracer, it.loaded()));
            entry = Guard.check("netns entry", () -> entryCheck(source, own, caps, withTracer && it.loaded()));
        } catch (RuntimeException | LinkageError e) {
            sockDiag = Guard.failed("sock_diag", e);
            entry = Guard.failed("netns entry", e);
        }
        checks.add(sockDiag);
        checks.add(entry);
        checks.add(Guard.check("/proc owners", () -> ownersCheck(ownUid, caps, withTracer && it.loaded())));
        Snapshots method;
        if (tracer.events() == TracerProbe.Events.error || withTracer && it.error() != null && !it.unavailable()) {
            method = Snapshots.error; // the agent stops at start
        } else if (!withTracer) {
            method = Snapshots.proc;
        } else {
            method = it.loaded() ? Snapshots.bpf_iter : Snapshots.sock_diag;
        }
        return new Result(checks, method, method == Snapshots.bpf_iter ? it.program() : null, entry.isOk());
    }

    /** What loading the iterator gave: its program, whether the kernel makes cookies, one pass; or the failure. */
    private record IterLoad(String program, boolean kernelMakesCookies, PassSummary pass, Throwable error,
                            boolean unavailable) {
        boolean loaded() {
            return program != null;
        }
    }

    private record PassSummary(int sockets, int processes, int cookiesGenerated, int withoutCookie, int cookieErrno,
                               String helperRefusal) {
    }

    /** Loads the iterator as the agent does ({@code new SockIterSource()}), runs one pass, closes it. */
    private static IterLoad iterator() {
        SockIterSource it;
        try {
            it = new SockIterSource();
        } catch (BpfUnavailableException e) {
            return new IterLoad(null, false, null, e, true);
        }
        try {
            SockIterSource.Pass pass = it.sockets();
            int sockets = pass.socketsByNetns().values().stream().mapToInt(List::size).sum();
            return new IterLoad(it.socketProgram(), it.kernelMakesCookies(), new PassSummary(sockets,
                    pass.owners().processes(), pass.cookiesGenerated(), pass.withoutCookie(), it.lastCookieErrno(),
                    it.helperRefusal()), null, false);
        } finally {
            it.close();
        }
    }

    private static Check iteratorCheck(IterLoad it, boolean withTracer) {
        String unused = withTracer ? "" : " (unused: without the tracer the agent polls /proc)";
        if (it.loaded()) {
            PassSummary p = it.pass();
            String how = it.kernelMakesCookies()
                    ? it.program() + ": the kernel's bpf_get_socket_cookie() names every socket"
                    : it.program() + ": the kernel refuses bpf_get_socket_cookie() on an iterated socket, so the cookie"
                            + " stored in the socket is read and missing ones are made with pidfd_getfd + SO_COOKIE";
            Check c = Check.ok("bpf iterator", how + "; one pass: " + Report.count(p.sockets(), "TCP socket") + " held by "
                    + Report.count(p.processes(), "process", "processes")
                    + (p.cookiesGenerated() > 0 ? ", " + Report.count(p.cookiesGenerated(), "cookie") + " made" : "") + unused);
            return p.helperRefusal() == null ? c : c.withDetail(p.helperRefusal());
        }
        Throwable e = it.error();
        if (it.unavailable()) {
            BpfUnavailableException b = (BpfUnavailableException) e;
            return Check.note("bpf iterator", Status.unavailable, "not loaded: " + TracerProbe.shortMessage(b) + unused,
                    withTracer ? "snapshots by sock_diag in every namespace plus a walk of /proc/*/fd for owners: slower"
                            : "none while the tracer is unavailable",
                    TracerProbe.fix(b.reason())).withDetail(b.getMessage());
        }
        String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
        if (withTracer) {
            return Check.loss("bpf iterator", Status.unavailable, "failed: " + msg,
                    "the agent stops at start with this error (it uses sock_diag only when BPF is unavailable)",
                    "run the agent with --no-bpf (/proc polling) and report the error").withDetail(msg);
        }
        return Check.note("bpf iterator", Status.unavailable, "failed: " + msg + unused,
                "none while the tracer is unavailable", "report the error").withDetail(msg);
    }

    private static Check cookieCheck(IterLoad it, long ownUid, long caps) {
        if (it.loaded() && it.kernelMakesCookies()) {
            return Check.ok("socket cookies", "not needed: " + it.program() + " takes every cookie from the kernel's helper");
        }
        String scope = it.loaded() ? "" : " (only the stored-cookie iterator needs it)";
        PassSummary p = it.pass();
        FdBorrow.Outcome o = FdBorrow.tryOne(ownUid);
        boolean ptrace = Capabilities.has(caps, Capabilities.CAP_SYS_PTRACE);
        String cost = "sockets nothing asked the cookie of yet (the iterator sees 0) send their namespace to a sock_diag"
                + " dump on every snapshot: slower, and lost where that namespace cannot be entered";
        if (o == null) {
            return ptrace ? Check.ok("socket cookies", "no other process to try pidfd_getfd on; CAP_SYS_PTRACE present" + scope)
                    : Check.note("socket cookies", Status.degraded, "no other process to try pidfd_getfd on; CAP_SYS_PTRACE"
                            + " missing: other users' sockets would stay without cookie" + scope, cost, BORROW_FIX);
        }
        if (o.borrowed()) {
            String made = p != null && p.withoutCookie() > 0
                    ? "; " + Report.count(p.withoutCookie(), "socket") + " of the pass still without cookie ("
                            + Errno.describe(p.cookieErrno()) + ")" : "";
            String what = "pidfd_getfd borrowed fd " + o.fd() + " of " + o.target()
                    + (o.cookie() != null ? ", a socket: SO_COOKIE " + Long.toUnsignedString(o.cookie()) : "")
                    + (o.refusedBefore() > 0 ? " (" + Report.count(o.refusedBefore(), "process", "processes")
                            + " refused before)" : "") + made + scope;
            if (p != null && p.withoutCookie() > 0 && p.cookieErrno() == LibC.EPERM) {
                return Check.note("socket cookies", Status.degraded, what, cost, BORROW_FIX);
            }
            return Check.ok("socket cookies", what);
        }
        String what = "pidfd_getfd refused by " + Report.count(o.refusedBefore() + 1, "process", "processes")
                + ", the last on fd " + o.fd() + " of " + o.target() + ": " + Errno.describe(o.errno()) + scope;
        return Check.note("socket cookies", Status.degraded, what, it.loaded() ? cost : "none while the iterator is unavailable",
                BORROW_FIX);
    }

    private static Check sockDiagCheck(SockDiagSource source, NetNamespace ownNs, boolean withTracer, boolean iterator) {
        List<RawSocket> out = new ArrayList<>();
        try {
            int malformed = source.read(ownNs, MASK, out);
            long listening = out.stream().filter(r -> r.state() == TcpStates.LISTEN).count();
            long withCookie = out.stream().filter(r -> r.cookie() != null && r.cookie() != 0).count();
            String found = "one dump in this namespace (net:[" + ownNs.inode() + "]): " + Report.count(out.size(), "TCP socket")
                    + " (" + listening + " listening), " + withCookie + " with cookie"
                    + (malformed > 0 ? ", " + malformed + " malformed messages skipped" : "")
                    + (withTracer ? "" : " (unused: without the tracer the agent polls /proc)");
            if (withCookie < out.size()) {
                return Check.loss("sock_diag", Status.degraded, found, "snapshot sockets without cookie",
                        "report the kernel version: sock_diag should give every socket its cookie");
            }
            return Check.ok("sock_diag", found);
        } catch (NetlinkException e) {
            String found = "a NETLINK_SOCK_DIAG dump in this namespace failed: " + e.getMessage();
            if (!withTracer) {
                return Check.note("sock_diag", Status.unavailable, found, "none while the tracer is unavailable",
                        "modprobe inet_diag tcp_diag");
            }
            return Check.loss("sock_diag", Status.unavailable, found, iterator
                            ? "snapshots miss sockets no process holds (time-wait, orphaned, not yet accepted)"
                            : "snapshots find no socket (the iterator is unavailable too)",
                    "modprobe inet_diag tcp_diag; the kernel needs CONFIG_INET_DIAG and CONFIG_INET_TCP_DIAG");
        }
    }

    private static Check entryCheck(SockDiagSource source, long own, long caps, boolean iterator) {
        List<NetNamespace> all = new NetnsDiscovery().discover();
        List<NetNamespace> others = all.stream().filter(n -> n.inode() != own).toList();
        boolean sysAdmin = Capabilities.has(caps, Capabilities.CAP_SYS_ADMIN);
        String cost = iterator
                ? "snapshots miss other namespaces' sockets no process holds (time-wait, orphaned, not yet accepted) and"
                        + " those whose cookie could not be made; --conntrack-netns all reads this namespace only"
                : "snapshots miss every other namespace's sockets; --conntrack-netns all reads this namespace only";
        String untried = "no other namespace to try (" + Report.count(all.size(), "namespace") + " found, this one net:["
                + own + "])";
        Check none = sysAdmin ? Check.ok("netns entry", untried + "; CAP_SYS_ADMIN present")
                : Check.loss("netns entry", Status.degraded, untried + "; CAP_SYS_ADMIN missing: namespaces made later"
                        + " (containers) could not be entered", cost, SYS_ADMIN_FIX);
        Check refused = null;
        int tried = 0;
        for (NetNamespace other : others) {
            if (tried++ == 3) {
                break;
            }
            String which = other + (other.pids().isEmpty() ? "" : " of pid " + other.pids().get(0)) + " (1 of "
                    + Report.count(others.size(), "other namespace") + " found)";
            try {
                List<RawSocket> out = new ArrayList<>();
                source.read(other, MASK, out);
                return Check.ok("netns entry", "entered " + which + ": " + Report.count(out.size(), "TCP socket")
                        + " read with sock_diag");
            } catch (NetnsEnterer.CannotEnter e) {
                boolean open = e.getMessage().startsWith("cannot open namespace");
                if (open && !e.denied()) {
                    continue; // gone meanwhile: the next one
                }
                refused = Check.loss("netns entry", sysAdmin ? Status.unavailable : Status.degraded,
                        "could not enter " + which + ": " + entryError(e.getMessage()), cost,
                        open ? "grant CAP_SYS_PTRACE (another user's /proc/PID/ns/net) and CAP_SYS_ADMIN (or run as root)"
                                : sysAdmin ? "see the error; a security module (SELinux, AppArmor, seccomp) may refuse setns"
                                : SYS_ADMIN_FIX);
                break;
            } catch (NetlinkException e) {
                refused = Check.loss("netns entry", Status.degraded, "entered " + which + ", but sock_diag failed there: "
                        + e.getMessage(), cost, "see sock_diag");
                break;
            }
        }
        return refused != null ? refused : none;
    }

    /**
     * Another user's {@code /proc/PID/fd}: listed (CAP_DAC_READ_SEARCH) and its links read (CAP_SYS_PTRACE). The
     * sock_diag and /proc snapshots name owners through it; the iterator names them itself, so on its path a
     * failure costs nothing but the fallbacks' owners.
     */
    private static Check ownersCheck(long ownUid, long caps, boolean iterator) {
        boolean ptrace = Capabilities.has(caps, Capabilities.CAP_SYS_PTRACE);
        boolean dac = Capabilities.has(caps, Capabilities.CAP_DAC_READ_SEARCH);
        String found = null;
        for (OtherProcesses.Proc p : OtherProcesses.list(ownUid, false, 5)) {
            Path fdDir = Path.of("/proc", Integer.toString(p.pid()), "fd");
            List<Path> fds = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(fdDir)) {
                ds.forEach(fds::add);
            } catch (AccessDeniedException e) {
                found = "cannot list " + fdDir + " of " + p + ": permission denied";
                continue;
            } catch (IOException | RuntimeException e) {
                continue; // gone meanwhile
            }
            if (fds.isEmpty()) {
                continue;
            }
            try {
                String link = Files.readSymbolicLink(fds.get(0)).toString();
                return Check.ok("/proc owners", "read " + fdDir + " of " + p + ": " + fds.size() + " fds, the first " + link);
            } catch (AccessDeniedException e) {
                found = "listed " + fdDir + " of " + p + " but cannot read its links: permission denied";
            } catch (IOException | RuntimeException e) {
                // the fd closed meanwhile: try the next process
            }
        }
        if (found == null) { // no process of another user (left) to try
            String nobody = "no process of another user to try";
            if (ptrace && dac) {
                return Check.ok("/proc owners", nobody + "; CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH present");
            }
            found = nobody + "; without CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH their /proc/PID/fd would be unreadable";
        }
        List<String> missing = new ArrayList<>();
        if (!dac) {
            missing.add("CAP_DAC_READ_SEARCH");
        }
        if (!ptrace) {
            missing.add("CAP_SYS_PTRACE");
        }
        String fix = missing.isEmpty() ? "both capabilities are there: a security module (SELinux, AppArmor) may refuse"
                : "grant " + String.join(" and ", missing) + " (or run as root)";
        return iterator
                ? Check.note("/proc owners", Status.degraded, found, "none on the iterator's path, which names every owner"
                        + " itself; the fallbacks (sock_diag, /proc snapshots) would give other users' sockets no pid or comm",
                        fix)
                : Check.loss("/proc owners", Status.degraded, found, "other users' sockets have no pid or comm, and"
                        + " namespaces only their processes are in are not found", fix);
    }

    /** NetnsEnterer's message without the namespace's name (said already): "setns: Operation not permitted (errno 1)". */
    static String entryError(String message) {
        int tail = message.lastIndexOf(": ");
        if (message.startsWith("setns(") && tail > 0) {
            return "setns: " + message.substring(tail + 2);
        }
        if (message.startsWith("cannot open namespace") && tail > 0) {
            return "cannot open its handles: " + message.substring(tail + 2);
        }
        return message;
    }
}
