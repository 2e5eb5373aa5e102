package dev.conntrail.producer.snapshot;

import dev.conntrail.avro.TcpCounters;
import it.unimi.dsi.fastutil.longs.Long2ObjectOpenHashMap;

import dev.conntrail.avro.Direction;
import dev.conntrail.producer.container.CgroupMembership;
import dev.conntrail.producer.container.PidCgroups;
import dev.conntrail.producer.netlink.NetlinkException;
import dev.conntrail.producer.ns.NetNamespace;
import dev.conntrail.producer.ns.NetnsDiscovery;
import dev.conntrail.producer.ns.NetnsEnterer;
import dev.conntrail.producer.proc.FdWalker;
import dev.conntrail.producer.proc.ProcNetTcpSource;
import dev.conntrail.producer.proc.SocketOwners;
import dev.conntrail.schemas.AddressTextCache;
import it.unimi.dsi.fastutil.longs.Long2ObjectOpenHashMap;
import it.unimi.dsi.fastutil.longs.LongSet;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the host's socket snapshot (docs/design.md, rule 2 (snapshot content)): every TCP socket of
 * every network namespace in the connected states, plus listeners, each with its owning process
 * found through the socket inode.
 * <ul>
 *   <li>{@link Method#BPF_ITER} (the fast path): one BPF {@code iter/task_file} pass gives every
 *   socket a process holds, with owner and cookie. A namespace whose kernel socket count
 *   (net/sockstat "inuse") exceeds the held sockets the pass saw there, or that has time-wait sockets
 *   (an orphaned FIN_WAIT2 socket becomes one, uncounted by "inuse"), may have sockets no process holds
 *   (closed by the application, or not yet accepted): only those namespaces are read with sock_diag —
 *   with a dump of listeners alone when unheld listeners account for the whole difference.</li>
 *   <li>{@link Method#SOCK_DIAG}: netlink sock_diag per namespace — with cookies.</li>
 *   <li>{@link Method#PROC}: {@code /proc/PID/net/tcp{,6}} once per namespace — no cookies; the
 *   polling fallback and the baseline.</li>
 * </ul>
 * Then one walk of {@code /proc/*}{@code /fd} maps inodes to processes (the iterator names them itself), and each
 * owner's {@code /proc/PID/cgroup} gives its cgroup and container ({@link PidCgroups}). Not thread-safe; one
 * {@code take()} at a time. Close it to stop its namespace thread.
 */
public final class SocketSnapshotter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SocketSnapshotter.class);

    public enum Method { BPF_ITER, SOCK_DIAG, PROC }

    private final Method method;
    private final NetnsDiscovery discovery;
    private final FdWalker fdWalker;
    private final NetnsEnterer enterer;
    private final SockDiagSource sockDiag;
    private final ProcNetTcpSource procNet;
    private final SockIterSource iterator;
    private final SockstatReader sockstat;
    private final PidCgroups cgroups;
    private boolean loggedMalformed;

    public SocketSnapshotter(Method method) {
        this(method, Paths.get("/proc"), Paths.get("/run/netns"));
    }

    public SocketSnapshotter(Method method, Path proc, Path runNetns) {
        this.method = method;
        this.discovery = new NetnsDiscovery(proc, runNetns);
        this.fdWalker = new FdWalker(proc);
        this.enterer = new NetnsEnterer();
        long own = NetnsDiscovery.currentNetns();
        this.sockDiag = new SockDiagSource(enterer, own);
        this.procNet = new ProcNetTcpSource(enterer, proc);
        this.sockstat = new SockstatReader(enterer, proc);
        this.cgroups = new PidCgroups(proc, dev.conntrail.producer.container.CgroupHierarchy.detect());
        try {
            this.iterator = method == Method.BPF_ITER ? new SockIterSource() : null;
        } catch (RuntimeException e) {
            enterer.close();
            throw e;
        }
    }

    public Method method() {
        return method;
    }

    public boolean withCookies() {
        return method != Method.PROC;
    }

    /** One snapshot, its connected sockets collected in a list (see {@link #stream} for one that holds none). */
    public Snapshot take() {
        List<SocketEntry> sockets = new ArrayList<>();
        Streamed s = stream((entry, takenAtMicros) -> sockets.add(entry));
        return new Snapshot(List.copyOf(sockets), s.listeners(), withCookies(), s.takenAtMicros(), s.stats());
    }

    /** Takes a snapshot's connected sockets one at a time, as it is assembled; {@code takenAtMicros} is the snapshot's. */
    @FunctionalInterface
    public interface SocketSink {
        void accept(SocketEntry entry, long takenAtMicros);
    }

    /** What a streamed snapshot was: how many connected sockets went to the sink, its listeners, its start and stats. */
    public record Streamed(int sockets, List<Listener> listeners, long takenAtMicros, SnapshotStats stats) {
    }

    /**
     * One snapshot whose connected sockets go to {@code sink} as they are joined with their owners, so no list of
     * every socket's entry is held; the raw sockets are let go as they are handed on. Every kernel read is done
     * before the first socket goes to the sink: a failure to read (e.g. {@link BpfUnavailableException}) comes
     * before any. The stats' {@code assembleMicros} includes the sink's own time.
     */
    public Streamed stream(SocketSink sink) {
        long startMicros = nowMicros();
        long t0 = System.nanoTime();
        // with BPF, one iter/task pass names every process's namespace (no readlink of each /proc/PID/ns/net)
        List<NetNamespace> namespaces;
        if (iterator != null) {
            SockIterSource.Processes ps = iterator.processes();
            namespaces = discovery.fromProcesses(ps.pids(), ps.netns());
        } else {
            namespaces = discovery.discover();
        }
        long t1 = System.nanoTime();
        List<RawSocket> raw = new ArrayList<>(4096);
        List<NetNamespace> namespacesToRead = namespaces;
        int failed = 0;
        int denied = 0; // entering refused for lack of permission (CAP_SYS_ADMIN): sockets missing
        int partial = 0; // namespaces with held sockets that could be named neither by cookie nor by sock_diag
        String deniedReason = null;
        int unnamed = 0; // held sockets whose cookie could not be made (left to sock_diag)
        Map<Long, List<RawSocket>> heldByNetns = null;
        int malformed = 0;
        int mask = TcpStates.CONNECTED_MASK | 1 << TcpStates.LISTEN;
        SocketOwners iterOwners = null;
        int diagNamespaces = method == Method.SOCK_DIAG ? namespaces.size() : 0;
        int listenerDumps = 0;
        int cookiesGenerated = 0;
        if (iterator != null) {
            SockIterSource.Pass pass = iterator.sockets();
            iterOwners = pass.owners();
            java.util.Set<Long> known = new java.util.HashSet<>();
            List<NetNamespace> needDiag = new ArrayList<>();
            for (NetNamespace ns : namespaces) {
                known.add(ns.inode());
                List<RawSocket> held = pass.socketsByNetns().getOrDefault(ns.inode(), List.of());
                long hashed = 0;
                for (RawSocket r : held) {
                    if (r.state() != TcpStates.CLOSE && r.state() != TcpStates.TIME_WAIT) {
                        hashed++;
                    }
                }
                // every hashed socket held, and no time-wait socket that may be an orphaned FIN_WAIT2: the pass has them all
                if (pass.netnsWithoutCookies().contains(ns.inode())) {
                    needDiag.add(ns); // a held socket there has no cookie yet: sock_diag names it
                    continue;
                }
                SockstatReader.Counts counts = sockstat.counts(ns);
                long inuse = counts == null || counts.timeWait() != 0 ? -1 : counts.inuse();
                List<RawSocket> unheld = inuse > hashed ? unheldListeners(ns, pass.cookies(), inuse - hashed) : null;
                if (inuse >= 0 && inuse <= hashed || unheld != null) {
                    addWanted(held, mask, raw);
                    if (unheld != null) {
                        raw.addAll(unheld);
                        listenerDumps++;
                    }
                } else {
                    needDiag.add(ns);
                }
            }
            for (Map.Entry<Long, List<RawSocket>> e : pass.socketsByNetns().entrySet()) {
                if (!known.contains(e.getKey())) { // a namespace only reachable through an fd: take what is held
                    addWanted(e.getValue(), mask, raw);
                }
            }
            cookiesGenerated = pass.cookiesGenerated();
            if (pass.withoutCookie() > 0) {
                // namespaces with no process to enter them through keep sockets nothing can name: say so
                for (long netns : pass.netnsWithoutCookies().toLongArray()) {
                    if (!known.contains(netns)) {
                        partial++;
                    }
                }
            }
            heldByNetns = pass.socketsByNetns();
            unnamed = pass.withoutCookie();
            namespacesToRead = needDiag;
            diagNamespaces = needDiag.size();
            pass = null; // its sockets stay reachable through raw (and heldByNetns until the counters are added) only
        }
        for (NetNamespace ns : namespacesToRead) {
            try {
                int bad;
                if (method != Method.PROC) {
                    bad = sockDiag.read(ns, mask, raw);
                } else {
                    // sockstat's counters (no table walk) tell which of net/tcp, net/tcp6 can hold anything
                    SockstatReader.Counts c = sockstat.counts(ns);
                    bad = procNet.read(ns, c == null || c.mayHave(false), c == null || c.mayHave(true),
                            state -> wanted(state, mask), raw);
                }
                if (bad < 0) {
                    failed++;
                } else {
                    malformed += bad;
                }
            } catch (NetnsEnterer.CannotEnter e) {
                if (!e.denied()) {
                    failed++; // the namespace went away during the walk: normal
                    LOG.debug("namespace {} skipped: {}", ns, e.getMessage());
                    continue;
                }
                denied++;
                deniedReason = e.getMessage();
                List<RawSocket> held = heldByNetns == null ? null : heldByNetns.get(ns.inode());
                if (held != null) { // the iterator's sockets of it still count: only the unheld ones are missing
                    addWanted(held, mask, raw);
                }
            } catch (NetlinkException e) {
                failed++; // the namespace went away during the walk: normal
                LOG.debug("namespace {} skipped: {}", ns, e.getMessage());
            }
        }
        if (malformed > 0 && !loggedMalformed) {
            loggedMalformed = true;
            LOG.warn("snapshot skipped {} malformed socket records (counted in stats; logged once)", malformed);
        }
        long t2 = System.nanoTime();
        SocketOwners owners = iterOwners != null ? iterOwners : fdWalker.walk();
        long t3 = System.nanoTime();
        Map<Integer, Long> nsOfPid = new HashMap<>();
        for (NetNamespace ns : namespaces) {
            for (int pid : ns.pids()) {
                nsOfPid.put(pid, ns.inode());
            }
        }
        if (heldByNetns != null && !namespacesToRead.isEmpty()) {
            addHeldCounters(raw, heldByNetns); // only sock_diag's sockets lack counters
        }
        heldByNetns = null; // raw holds the sockets wanted; assemble lets each go once handed on
        int seen = raw.size();
        long t4 = System.nanoTime();
        cgroups.newPass();
        Assembled s = assemble(raw, owners, nsOfPid, cgroups::of, entry -> sink.accept(entry, startMicros));
        long t5 = System.nanoTime();
        long micros = (System.nanoTime() - t0) / 1000;
        SnapshotStats stats = new SnapshotStats(method.name(), namespaces.size(), failed, owners.processes(),
                owners.fds(), seen, malformed, s.unowned(), micros,
                (t1 - t0) / 1000, (t2 - t1) / 1000, (t3 - t2) / 1000, diagNamespaces,
                (t5 - t4) / 1000, listenerDumps, cookiesGenerated, denied + partial, cgroups.withoutId());
        if (denied + partial > 0) {
            LOG.warn("snapshot incomplete: {} of {} network namespaces not read whole; {}", denied + partial,
                    namespaces.size(), incompleteWhy(denied, deniedReason, partial, unnamed));
        }
        return new Streamed(s.sockets(), s.listeners(), startMicros, stats);
    }

    /** What an incomplete snapshot misses, and the fix. */
    private String incompleteWhy(int denied, String deniedReason, int partial, int unnamed) {
        StringBuilder b = new StringBuilder();
        if (denied > 0) {
            b.append(denied).append(" could not be entered (").append(deniedReason).append("): ")
                    .append(iterator != null ? "sockets there that no process holds (if any) are missing"
                            : "their sockets are missing").append(" — grant CAP_SYS_ADMIN");
        }
        if (partial > 0) {
            b.append(b.length() > 0 ? "; " : "").append(partial)
                    .append(" have no process to enter them through");
        }
        if (unnamed > 0) {
            int errno = iterator.lastCookieErrno();
            b.append(b.length() > 0 ? "; " : "").append(unnamed).append(" held sockets had no cookie and none could be made (")
                    .append(errno == 0 ? "process or fd gone" : dev.conntrail.producer.sys.Errno.describe(errno))
                    .append("): they are missing unless sock_diag read their namespace")
                    .append(errno == dev.conntrail.producer.sys.LibC.EPERM ? " — grant CAP_SYS_PTRACE" : "");
        }
        return b.toString();
    }

    /** Whether {@code state} (the kernel's TCP state number) is in the requested state mask. */
    private static boolean wanted(int state, int mask) {
        return state < 32 && (mask & (1 << state)) != 0;
    }

    private static void addWanted(List<RawSocket> from, int mask, List<RawSocket> to) {
        for (RawSocket r : from) {
            if (wanted(r.state(), mask)) {
                to.add(r);
            }
        }
    }

    /**
     * When the only sockets of {@code ns} that no process holds are listeners, those listeners; else null
     * (the namespace then needs a full sock_diag dump). A dump of LISTEN alone walks only the kernel's
     * listening hash, not the host-wide established hash that a full dump scans once per namespace
     * (3-9 ms at 20,000 sockets), so a listener held by a process the iterator cannot visit (pid 1 of
     * this sandbox: its fds are hidden from task iterators and /proc alike) or by no task at all (an
     * fd in flight in a unix socket's queue) no longer costs the full dump on every snapshot.
     * Exact: used only when the unheld listeners account for every hashed socket the pass missed.
     */
    private List<RawSocket> unheldListeners(NetNamespace ns, LongSet heldCookies, long missing) {
        List<RawSocket> listeners = new ArrayList<>();
        try {
            if (sockDiag.read(ns, 1 << TcpStates.LISTEN, listeners) != 0) {
                return null;
            }
        } catch (NetnsEnterer.CannotEnter | NetlinkException e) {
            return null; // the full dump will count the failure
        }
        List<RawSocket> unheld = new ArrayList<>();
        for (RawSocket r : listeners) {
            if (r.cookie() == null || !heldCookies.contains(r.cookie())) {
                unheld.add(r);
            }
        }
        return unheld.size() == missing ? unheld : null;
    }

    /**
     * Sockets read by sock_diag (which reads no counters) take the counters the iterator read for the same socket: a
     * namespace goes to sock_diag whole (a time-wait socket, an unheld one), but its held sockets were in the pass.
     */
    static void addHeldCounters(List<RawSocket> raw, Map<Long, List<RawSocket>> heldByNetns) {
        Long2ObjectOpenHashMap<TcpCounters> byCookie = new Long2ObjectOpenHashMap<>();
        for (List<RawSocket> held : heldByNetns.values()) {
            for (RawSocket r : held) {
                if (r.counters() != null && r.cookie() != null) {
                    byCookie.put(r.cookie().longValue(), r.counters());
                }
            }
        }
        if (byCookie.isEmpty()) {
            return;
        }
        raw.replaceAll(r -> {
            TcpCounters c = r.counters() != null || r.cookie() == null ? null : byCookie.get(r.cookie().longValue());
            return c == null ? r : new RawSocket(r.netns(), r.ipv6(), r.laddr(), r.lport(), r.raddr(), r.rport(), r.state(), r.uid(),
                    r.inode(), r.cookie(), c);
        });
    }

    /** What {@link #assemble} handed on: connected sockets (how many, how many without an owner) and the listeners. */
    record Assembled(int sockets, int unowned, List<Listener> listeners) {
    }

    /**
     * Joins raw sockets with their owners (and their cgroups) and sets directions, handing each connected socket's
     * entry to {@code each} in turn. Listeners come first (they set directions); each element of {@code raw} is
     * cleared once handed on, so what the caller no longer holds can be collected meanwhile.
     */
    static Assembled assemble(List<RawSocket> raw, SocketOwners owners, Map<Integer, Long> nsOfPid,
                              IntFunction<CgroupMembership> cgroupOf, java.util.function.Consumer<SocketEntry> each) {
        List<Listener> listeners = new ArrayList<>();
        Map<Long, List<String>> listenAddrs = new HashMap<>();
        java.util.BitSet listenPorts = new java.util.BitSet(1 << 16);
        AddressTextCache texts = new AddressTextCache(4096);
        for (RawSocket r : raw) {
            if (r.state() != TcpStates.LISTEN) {
                continue;
            }
            List<Owner> os = owners.owners(r.inode());
            Owner only = os.size() == 1 ? os.get(0) : null;
            String laddr = texts.format(r.laddr());
            listenPorts.set(r.lport());
            listeners.add(new Listener(r.netns(), r.ipv6(), laddr, r.lport(), r.uid(), r.inode(), r.cookie(),
                    only == null ? null : only.pid(), only == null ? null : only.comm(), os.size(),
                    only == null ? null : cgroupOf.apply(only.pid()).cgroupId()));
            listenAddrs.computeIfAbsent(listenKey(r.netns(), r.ipv6(), r.lport()), k -> new ArrayList<>()).add(laddr);
        }
        int sockets = 0;
        int unowned = 0;
        for (int i = 0; i < raw.size(); i++) {
            RawSocket r = raw.get(i);
            raw.set(i, null);
            if (!TcpStates.isConnected(r.state())) {
                continue;
            }
            String laddr = texts.format(r.laddr());
            Direction dir = Direction.OUTGOING;
            List<String> addrs = listenPorts.get(r.lport()) ? listenAddrs.get(listenKey(r.netns(), r.ipv6(), r.lport())) : null;
            if (addrs != null) {
                for (String a : addrs) {
                    // a wildcard listener (0.0.0.0 / ::) takes connections to any local address;
                    // accepted sockets inherit the listener's family, so v4 on a "::" listener shows as ::ffff:a.b.c.d
                    if (a.equals(laddr) || "0.0.0.0".equals(a) || "::".equals(a)) {
                        dir = Direction.INCOMING;
                        break;
                    }
                }
            }
            // most sockets have one holder: take it without making a list or looking up namespaces
            Owner owner = r.inode() == 0 ? null : owners.single(r.inode());
            int count = owner != null ? 1 : r.inode() == 0 ? 0 : owners.count(r.inode());
            if (count > 1) {
                owner = pick(owners.owners(r.inode()), r.netns(), nsOfPid);
            }
            CgroupMembership cgroup = owner == null ? CgroupMembership.NONE : cgroupOf.apply(owner.pid());
            sockets++;
            if (owner == null) {
                unowned++;
            }
            each.accept(new SocketEntry(r.netns(), r.ipv6(), laddr, r.lport(), texts.format(r.raddr()), r.rport(),
                    r.state(), r.uid(), r.inode(), r.cookie(), dir,
                    owner == null ? null : owner.pid(), owner == null ? null : owner.comm(), count,
                    cgroup.cgroupId(), cgroup.container(), r.counters()));
        }
        return new Assembled(sockets, unowned, List.copyOf(listeners));
    }

    /** The lowest pid among holders in the socket's own namespace, else the lowest pid anywhere (fds move). */
    private static Owner pick(List<Owner> os, long netns, Map<Integer, Long> nsOfPid) {
        if (os.isEmpty()) {
            return null;
        }
        for (Owner o : os) {
            Long n = nsOfPid.get(o.pid());
            if (n != null && n == netns) {
                return o;
            }
        }
        return os.get(0);
    }

    /** Namespace inode (32 bits), family and port in one key. */
    private static long listenKey(long netns, boolean ipv6, int port) {
        return netns << 17 | (ipv6 ? 1L << 16 : 0) | port;
    }

    static long nowMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    }

    @Override
    public void close() {
        if (iterator != null) {
            iterator.close();
        }
        enterer.close();
    }
}
