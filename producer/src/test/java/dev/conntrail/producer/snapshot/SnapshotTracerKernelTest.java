package dev.conntrail.producer.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.bpf.tracer.Tracer;
import dev.conntrail.producer.bpf.tracer.TracerOptions;
import dev.conntrail.producer.hosttest.AcceptedHolders;
import dev.conntrail.producer.hosttest.TwoNamespaces;
import dev.conntrail.producer.ns.NetnsDiscovery;
import dev.conntrail.testkit.Root;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The snapshot and the eBPF tracer side by side on the real kernel (root; CI runs as root):
 * <ul>
 *   <li>the default snapshot method reports, for each socket, the same cookie and netns inode as the
 *   tracer's CONNECT (client side) and ACCEPT (server side) for that socket — loopback IPv4 and IPv6
 *   in the root namespace, and IPv4 across two test-created namespaces joined by veth;</li>
 *   <li>the seeding of design rule 2 (snapshot content): a listener older than the tracer, taken
 *   from the snapshot's listeners and given to {@link Tracer#seedListener}, names its accepts with
 *   the listener's process.</li>
 * </ul>
 */
class SnapshotTracerKernelTest {
    private static final List<TcpEvent> EVENTS = new CopyOnWriteArrayList<>();
    private static Tracer tracer;
    private static TwoNamespaces nets;
    private static AcceptedHolders pairs;
    private static Process oldListener;
    private static int oldListenerPort;

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        // a listener in its own process, older than the tracer: the tracer never saw its listen()
        oldListener = new ProcessBuilder("python3", "-c", "import socket,time\n"
                + "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(8)\n"
                + "print(s.getsockname()[1], flush=True)\n"
                + "c,_=s.accept(); time.sleep(60)").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String port = new BufferedReader(new InputStreamReader(oldListener.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        assertThat(port).as("the old listener's port").isNotNull();
        oldListenerPort = Integer.parseInt(port.trim());
        tracer = Tracer.start(TracerOptions.defaults("test-host", 7L), EVENTS::add);
        assertThat(tracer.hasCookies()).isTrue();
        nets = new TwoNamespaces();
        pairs = new AcceptedHolders();
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (tracer != null) {
            tracer.close();
        }
        if (pairs != null) {
            pairs.close();
        }
        if (oldListener != null) {
            oldListener.destroyForcibly();
        }
        if (nets != null) {
            nets.close();
        }
    }

    /** One connection: the holder process (client) and the socket this JVM accepted (server). */
    private record Conn(long clientNetns, long clientPid, String dialAddr, int clientPort, long serverNetns, int serverPort) {
    }

    private static ServerSocketChannel listen(String netns, String addr) throws Exception {
        return pairs.listen(netns, addr);
    }

    private static Conn connect(String clientNs, long clientNetns, long serverNetns, ServerSocketChannel server, String dial)
            throws IOException {
        AcceptedHolders.Accepted a = pairs.connect(clientNs, server, dial);
        return new Conn(clientNetns, a.clientPid(), dial, a.clientPort(), serverNetns, a.serverPort());
    }

    private static TcpEvent event(EventType type, long netns, int lport, int rport) {
        return EVENTS.stream().filter(e -> e.getType() == type && e.getNetns() == netns && e.getLport() == lport
                && e.getRport() == rport).findFirst().orElse(null);
    }

    @Test
    void snapshotCookieAndNetnsEqualTheTracersConnectAndAcceptForEachSocket() throws Exception {
        long root = NetnsDiscovery.currentNetns();
        long nsA = TwoNamespaces.inode(nets.a);
        long nsB = TwoNamespaces.inode(nets.b);
        List<Conn> conns = List.of(
                connect(null, root, root, listen(null, "127.0.0.1"), "127.0.0.1"),
                connect(null, root, root, listen(null, "::1"), "::1"),
                connect(nets.a, nsA, nsB, listen(nets.b, nets.v4b), nets.v4b));
        for (Conn c : conns) {
            await("tracer events for " + c).atMost(Duration.ofSeconds(10)).until(() ->
                    event(EventType.CONNECT, c.clientNetns(), c.clientPort(), c.serverPort()) != null
                            && event(EventType.ACCEPT, c.serverNetns(), c.serverPort(), c.clientPort()) != null);
        }
        Snapshot snap;
        try (SocketSnapshotter s = new SocketSnapshotter(SocketSnapshotter.Method.BPF_ITER)) {
            snap = s.take();
        }
        for (Conn c : conns) {
            TcpEvent connect = event(EventType.CONNECT, c.clientNetns(), c.clientPort(), c.serverPort());
            TcpEvent accept = event(EventType.ACCEPT, c.serverNetns(), c.serverPort(), c.clientPort());
            SocketEntry client = entry(snap, c.clientNetns(), c.clientPort(), c.serverPort());
            SocketEntry server = entry(snap, c.serverNetns(), c.serverPort(), c.clientPort());
            assertThat(connect.getCookie()).as("tracer cookie of %s", c).isNotNull().isNotZero();
            assertThat(client.cookie()).as("client socket of %s", c).isEqualTo(connect.getCookie());
            assertThat(client.netns()).isEqualTo(connect.getNetns());
            assertThat(client.pid()).isEqualTo((int) c.clientPid()).isEqualTo(connect.getPid());
            assertThat(server.cookie()).as("server socket of %s", c).isEqualTo(accept.getCookie());
            assertThat(server.netns()).isEqualTo(accept.getNetns());
            assertThat(client.cookie()).isNotEqualTo(server.cookie());
        }
    }

    private static SocketEntry entry(Snapshot snap, long netns, int lport, int rport) {
        List<SocketEntry> found = snap.sockets().stream()
                .filter(e -> e.netns() == netns && e.lport() == lport && e.rport() == rport).toList();
        assertThat(found).as("snapshot socket netns %d %d -> %d", netns, lport, rport).hasSize(1);
        return found.get(0);
    }

    @Test
    void aListenerOlderThanTheTracerSeededFromTheSnapshotNamesItsAccepts() throws Exception {
        Snapshot snap;
        try (SocketSnapshotter s = new SocketSnapshotter(SocketSnapshotter.Method.BPF_ITER)) {
            snap = s.take();
        }
        List<Listener> ls = snap.listeners().stream().filter(l -> l.lport() == oldListenerPort && l.laddr().equals("127.0.0.1")).toList();
        assertThat(ls).hasSize(1);
        Listener l = ls.get(0);
        assertThat(l.pid()).isEqualTo((int) oldListener.pid());
        assertThat(l.comm()).isEqualTo("python3");
        tracer.seedListener(l.netns(), InetAddress.getByName(l.laddr()).getAddress(), l.lport(), l.pid(), l.pid(), l.comm(), 0L);
        long client = pairs.holders().connect(null, "127.0.0.1", oldListenerPort);
        await().atMost(Duration.ofSeconds(10)).until(() -> EVENTS.stream().anyMatch(e -> e.getType() == EventType.ACCEPT
                && e.getLport() == oldListenerPort && e.getNetns() == l.netns()));
        TcpEvent accept = EVENTS.stream().filter(e -> e.getType() == EventType.ACCEPT && e.getLport() == oldListenerPort).findFirst().get();
        // the handshake runs in the client's context on loopback: without the seed the listener's pid is unknown here
        assertThat(accept.getPid()).isEqualTo((int) oldListener.pid()).isNotEqualTo((int) client);
        assertThat(accept.getComm()).isEqualTo("python3");
    }
}
