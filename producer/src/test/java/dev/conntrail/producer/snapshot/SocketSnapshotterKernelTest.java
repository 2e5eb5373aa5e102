package dev.conntrail.producer.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.avro.Direction;
import dev.conntrail.producer.hosttest.AcceptedHolders;
import dev.conntrail.producer.hosttest.Holders;
import dev.conntrail.producer.hosttest.SsView;
import dev.conntrail.producer.hosttest.TwoNamespaces;
import dev.conntrail.producer.ns.NetnsDiscovery;
import dev.conntrail.testkit.Root;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real sockets, real namespaces (root; CI runs as root): child processes named ctholder hold known
 * connections to listeners of this JVM — IPv4 and IPv6 on loopback, IPv4 through a wildcard IPv6
 * listener (v4-mapped on the server side), and IPv4 + IPv6 across two namespaces joined by veth (the
 * listener made inside namespace B from this JVM, which lives in the root namespace: its accepted
 * sockets are found host-wide). Both snapshot methods must find exactly these sockets for our ports,
 * with the right pid, comm, netns, direction and (sock_diag) cookie, and agree with `ss -tanpe`.
 */
class SocketSnapshotterKernelTest {
    /** One connection: each side's local and remote address as that side's socket shows them. */
    record Conn(long clientNetns, long clientPid, String clientLocal, String clientRemote, int clientPort,
                long serverNetns, String serverLocal, String serverRemote, int serverPort) {
    }

    static TwoNamespaces nets;
    static AcceptedHolders pairs;
    static final List<Conn> conns = new ArrayList<>();
    static final Set<Integer> ports = new HashSet<>();
    static long rootNetns;
    static long myPid = ProcessHandle.current().pid();
    static String myComm;

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        myComm = Files.readString(Path.of("/proc/self/comm")).trim();
        rootNetns = NetnsDiscovery.currentNetns();
        nets = new TwoNamespaces();
        pairs = new AcceptedHolders();
        long nsA = TwoNamespaces.inode(nets.a);
        long nsB = TwoNamespaces.inode(nets.b);
        // loopback in the root namespace, AF_INET and AF_INET6 listeners
        connect(null, rootNetns, rootNetns, listen(null, "127.0.0.1"), "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1");
        connect(null, rootNetns, rootNetns, listen(null, "::1"), "::1", "::1", "::1", "::1");
        // wildcard dual-stack listener, IPv4 client: the server's socket is AF_INET6 with ::ffff:127.0.0.1
        connect(null, rootNetns, rootNetns, listen(null, "::"), "127.0.0.1", "127.0.0.1", "::ffff:127.0.0.1", "::ffff:127.0.0.1");
        // across namespaces: client in A, listener in B (made by this JVM, which lives in the root namespace)
        connect(nets.a, nsA, nsB, listen(nets.b, nets.v4b), nets.v4b, nets.v4a, nets.v4b, nets.v4a);
        connect(nets.a, nsA, nsB, listen(nets.b, nets.v6b), nets.v6b, nets.v6a, nets.v6b, nets.v6a);
        waitHoldersExec();
    }

    static ServerSocketChannel listen(String netns, String addr) throws Exception {
        ServerSocketChannel s = pairs.listen(netns, addr);
        int port = ((InetSocketAddress) s.getLocalAddress()).getPort();
        ports.add(port);
        return s;
    }

    static void connect(String clientNs, long clientNetns, long serverNetns, ServerSocketChannel server, String dialAddr,
                        String clientLocal, String serverLocal, String serverRemote) throws IOException {
        AcceptedHolders.Accepted a = pairs.connect(clientNs, server, dialAddr);
        conns.add(new Conn(clientNetns, a.clientPid(), clientLocal, dialAddr, a.clientPort(), serverNetns, serverLocal, serverRemote,
                a.serverPort()));
    }

    /** The holders exec ctholder right after connecting; wait until each comm shows it. */
    static void waitHoldersExec() throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        for (Conn c : conns) {
            while (!Files.readString(Path.of("/proc/" + c.clientPid() + "/comm")).trim().equals(Holders.COMM)) {
                assertThat(System.currentTimeMillis()).as("holder %d execs", c.clientPid()).isLessThan(deadline);
                Thread.sleep(10);
            }
        }
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (pairs != null) {
            pairs.close();
        }
        if (nets != null) {
            nets.close();
        }
    }

    static List<SocketEntry> ours(Snapshot snap) {
        return snap.sockets().stream().filter(e -> ports.contains(e.lport()) || ports.contains(e.rport())).toList();
    }

    static Snapshot take(SocketSnapshotter.Method m) {
        try (SocketSnapshotter s = new SocketSnapshotter(m)) {
            return s.take();
        }
    }

    /** The two sockets each connection must show: client (holder, OUTGOING) and server (this JVM, INCOMING). */
    static Set<String> expected() {
        Set<String> out = new HashSet<>();
        for (Conn c : conns) {
            out.add(key(c.clientNetns(), c.clientLocal(), c.clientPort(), c.clientRemote(), c.serverPort(),
                    Direction.OUTGOING, (int) c.clientPid(), Holders.COMM));
            out.add(key(c.serverNetns(), c.serverLocal(), c.serverPort(), c.serverRemote(), c.clientPort(),
                    Direction.INCOMING, (int) myPid, myComm));
        }
        return out;
    }

    static String key(long netns, String laddr, int lport, String raddr, int rport, Direction d, Integer pid, String comm) {
        return netns + " " + laddr + ":" + lport + " " + raddr + ":" + rport + " " + d + " " + pid + " " + comm;
    }

    static Set<String> keys(List<SocketEntry> entries) {
        return entries.stream().map(e -> key(e.netns(), e.laddr(), e.lport(), e.raddr(), e.rport(), e.direction(), e.pid(), e.comm()))
                .collect(Collectors.toSet());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = SocketSnapshotter.Method.class, names = {"BPF_ITER", "SOCK_DIAG"})
    void findsEachKnownSocketWithOwnerDirectionCookieAndNothingPhantom(SocketSnapshotter.Method method) {
        Snapshot snap = take(method);
        List<SocketEntry> ours = ours(snap);
        assertThat(keys(ours)).containsExactlyInAnyOrderElementsOf(expected());
        assertThat(ours).hasSize(conns.size() * 2);
        assertThat(ours).allSatisfy(e -> {
            assertThat(e.state()).isEqualTo(TcpStates.ESTABLISHED);
            assertThat(e.cookie()).isNotNull().isNotZero();
            assertThat(e.uid()).isZero();
        });
        assertThat(snap.withCookies()).isTrue();
        // our listeners: each held by this JVM only
        List<Listener> ls = snap.listeners().stream().filter(l -> ports.contains(l.lport())).toList();
        assertThat(ls).hasSize(pairs.listeners()).allSatisfy(l -> {
            assertThat(l.pid()).isEqualTo((int) myPid);
            assertThat(l.shared()).isFalse();
        });
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = SocketSnapshotter.Method.class, names = {"BPF_ITER", "SOCK_DIAG"})
    void agreesWithSsInEachNamespaceIncludingCookies(SocketSnapshotter.Method method) {
        Snapshot snap = take(method);
        Set<String> fromSs = new HashSet<>();
        for (String[] ns : new String[][] {{null, Long.toString(rootNetns)}, {nets.a, Long.toString(TwoNamespaces.inode(nets.a))},
                {nets.b, Long.toString(TwoNamespaces.inode(nets.b))}}) {
            for (SsView.Row r : SsView.read(ns[0])) {
                if (!r.state().equals("ESTAB")) {
                    continue;
                }
                int lport = Integer.parseInt(r.local().substring(r.local().lastIndexOf(':') + 1));
                int rport = Integer.parseInt(r.peer().substring(r.peer().lastIndexOf(':') + 1));
                if ((ports.contains(lport) || ports.contains(rport))) {
                    fromSs.add(ns[1] + " " + r.local() + " " + r.peer() + " " + r.pid() + " " + r.comm() + " " + r.inode() + " " + r.cookie());
                }
            }
        }
        Set<String> fromUs = ours(snap).stream().map(e -> e.netns() + " " + ep(e.laddr(), e.lport()) + " " + ep(e.raddr(), e.rport())
                + " " + e.pid() + " " + e.comm() + " " + e.inode() + " " + e.cookie()).collect(Collectors.toSet());
        assertThat(fromUs).hasSize(conns.size() * 2).isEqualTo(fromSs);
    }

    @Test
    void iteratorSeesEachHeldSocketWithTheSameCookieAndOwnerAsSockDiag() {
        Snapshot diag = take(SocketSnapshotter.Method.SOCK_DIAG);
        List<SockIterSource.Held> held;
        try (SockIterSource it = new SockIterSource()) {
            held = it.pass();
        }
        for (SocketEntry e : ours(diag)) {
            assertThat(held).as("iterator record for %s", e).anySatisfy(h -> {
                assertThat(h.cookie()).isEqualTo(e.cookie());
                assertThat(h.inode()).isEqualTo(e.inode());
                assertThat(h.netns()).isEqualTo(e.netns());
                assertThat(h.tgid()).isEqualTo(e.pid());
                assertThat(h.comm()).isEqualTo(e.comm());
                assertThat(h.lport()).isEqualTo(e.lport());
                assertThat(h.rport()).isEqualTo(e.rport());
                assertThat(h.state()).isEqualTo(e.state());
                assertThat(dev.conntrail.schemas.Addresses.format(h.laddr())).isEqualTo(e.laddr());
                assertThat(dev.conntrail.schemas.Addresses.format(h.raddr())).isEqualTo(e.raddr());
            });
        }
    }

    @Test
    void procPathAgreesWithTheFastPathOnEverythingButTheCookie() {
        Snapshot diag = take(SocketSnapshotter.Method.BPF_ITER);
        Snapshot proc = take(SocketSnapshotter.Method.PROC);
        assertThat(proc.withCookies()).isFalse();
        assertThat(ours(proc)).allSatisfy(e -> assertThat(e.cookie()).isNull());
        assertThat(withoutCookie(ours(proc))).isEqualTo(withoutCookie(ours(diag))).hasSize(conns.size() * 2);
        assertThat(keys(ours(proc))).containsExactlyInAnyOrderElementsOf(expected());
    }

    /** Without cookie and counters: what every source reports alike. */
    static Set<SocketEntry> withoutCookie(List<SocketEntry> l) {
        return l.stream().map(e -> new SocketEntry(e.netns(), e.ipv6(), e.laddr(), e.lport(), e.raddr(), e.rport(), e.state(),
                e.uid(), e.inode(), null, e.direction(), e.pid(), e.comm(), e.owners(), e.cgroupId(), e.container(), null))
                .collect(Collectors.toSet());
    }

    static String ep(String a, int p) {
        return a.contains(":") ? "[" + a + "]:" + p : a + ":" + p;
    }

    @Test
    void discoveryFindsTheTestNamespacesByBindMountAndProcess() {
        var all = new NetnsDiscovery().discover();
        assertThat(all.get(0).inode()).isEqualTo(rootNetns);
        assertThat(all).anySatisfy(n -> {
            assertThat(n.inode()).isEqualTo(TwoNamespaces.inode(nets.a));
            assertThat(n.name()).isEqualTo(nets.a);
            assertThat(n.pids()).contains((int) conns.get(3).clientPid());
        });
        assertThat(all).anySatisfy(n -> assertThat(n.inode()).isEqualTo(TwoNamespaces.inode(nets.b)));
    }
}
