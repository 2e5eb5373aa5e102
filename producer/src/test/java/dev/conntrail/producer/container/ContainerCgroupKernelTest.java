package dev.conntrail.producer.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.bpf.tracer.Tracer;
import dev.conntrail.producer.bpf.tracer.TracerOptions;
import dev.conntrail.producer.snapshot.Snapshot;
import dev.conntrail.producer.snapshot.SocketEntry;
import dev.conntrail.producer.snapshot.SocketSnapshotter;
import dev.conntrail.testkit.Root;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * cgroups and containers on the real kernel (root; CI runs as root). A process started in a cgroup
 * this test makes — a plain one, and one shaped as docker's systemd driver makes them
 * ({@code docker-ID.scope}) — connects over loopback; then:
 * <ul>
 *   <li>the snapshot's cgroup id of its socket equals the tracer's CONNECT cgroup id
 *   ({@code bpf_get_current_cgroup_id()}) and the inode of the cgroup's directory;</li>
 *   <li>the snapshot and the tracer's event (through {@link ContainerResolver}) name the container id.</li>
 * </ul>
 */
class ContainerCgroupKernelTest {
    private static final List<TcpEvent> EVENTS = new CopyOnWriteArrayList<>();
    private static final String ID = TestCgroups.randomId();
    private static TestCgroups cgroups;
    private static Tracer tracer;
    private static ContainerResolver resolver;
    private static ServerSocketChannel server;
    private static String plainPath;
    private static String dockerPath;

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        cgroups = new TestCgroups();
        plainPath = cgroups.parent + "/plain.service";
        dockerPath = cgroups.parent + "/docker-" + ID + ".scope";
        cgroups.make(plainPath);
        cgroups.make(dockerPath);
        resolver = new ContainerResolver();
        tracer = Tracer.start(TracerOptions.defaults("test-host", 7L), e -> {
            resolver.tag(e);
            EVENTS.add(e);
        });
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (tracer != null) {
            tracer.close();
        }
        if (server != null) {
            server.close();
        }
        if (cgroups != null) {
            cgroups.close();
        }
    }

    /** A client in cgroup {@code path}; returns its local port once connected and accepted. */
    private record Client(Process process, int port, SocketChannel accepted) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            accepted.close();
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS); // reaped: its cgroup can then be removed
        }
    }

    private static Client client(String path) throws Exception {
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        Process p = cgroups.start(path, "import socket,time\n"
                + "s=socket.create_connection(('127.0.0.1'," + port + "))\n"
                + "print(s.getsockname()[1], flush=True)\n"
                + "time.sleep(60)");
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        assertThat(line).as("the client's port").isNotNull();
        return new Client(p, Integer.parseInt(line.trim()), server.accept());
    }

    private static TcpEvent connectOf(Client c) {
        int serverPort = server.socket().getLocalPort();
        await("CONNECT of port " + c.port()).atMost(Duration.ofSeconds(10)).until(() -> EVENTS.stream()
                .anyMatch(e -> e.getType() == EventType.CONNECT && e.getLport() == c.port() && e.getRport() == serverPort));
        return EVENTS.stream().filter(e -> e.getType() == EventType.CONNECT && e.getLport() == c.port() && e.getRport() == serverPort)
                .findFirst().get();
    }

    private static SocketEntry snapshotOf(Client c) {
        Snapshot snap;
        try (SocketSnapshotter s = new SocketSnapshotter(SocketSnapshotter.Method.BPF_ITER)) {
            snap = s.take();
        }
        List<SocketEntry> found = snap.sockets().stream()
                .filter(e -> e.lport() == c.port() && e.rport() == server.socket().getLocalPort()).toList();
        assertThat(found).as("the client's socket in the snapshot").hasSize(1);
        return found.get(0);
    }

    @Test
    void snapshotCgroupIdIsTheKernelsCgroupIdAndTheDirectoryInode() throws Exception {
        long inode = cgroups.id(plainPath);
        try (Client c = client(plainPath)) {
            TcpEvent connect = connectOf(c);
            SocketEntry entry = snapshotOf(c);
            assertThat(connect.getPid()).isEqualTo((int) c.process().pid());
            assertThat(connect.getCgroupId()).as("bpf_get_current_cgroup_id()").isEqualTo(inode);
            assertThat(entry.pid()).isEqualTo((int) c.process().pid());
            assertThat(entry.cgroupId()).as("snapshot cgroup id").isEqualTo(inode).isEqualTo(connect.getCgroupId());
            assertThat(entry.container()).as("a systemd service is no container").isNull();
            assertThat(connect.getContainer()).isNull();
        }
    }

    @Test
    void aDockerShapedCgroupNamesTheContainerOnTheTraceEventAndTheSnapshot() throws Exception {
        long inode = cgroups.id(dockerPath);
        try (Client c = client(dockerPath)) {
            TcpEvent connect = connectOf(c);
            SocketEntry entry = snapshotOf(c);
            assertThat(connect.getCgroupId()).isEqualTo(inode);
            assertThat(connect.getContainer()).as("trace event's container").isEqualTo(ID);
            assertThat(entry.cgroupId()).isEqualTo(inode);
            assertThat(entry.container()).as("snapshot's container").isEqualTo(ID);
        }
    }

    @Test
    void aCgroupIdUnknownToTheCacheIsFoundByWalkingTheHierarchy() throws Exception {
        String path = cgroups.parent + "/docker-" + TestCgroups.randomId() + ".scope";
        cgroups.make(path);
        long inode = cgroups.id(path);
        ContainerResolver fresh = new ContainerResolver();
        // no process to ask: only a walk can find it
        assertThat(fresh.containerOf(inode, null)).isEqualTo(path.substring(path.lastIndexOf("docker-") + 7, path.length() - 6));
        assertThat(fresh.walks()).isEqualTo(1);
        assertThat(fresh.containerOf(inode, null)).as("cached").isNotNull();
        assertThat(fresh.walks()).isEqualTo(1);
        assertThat(fresh.misses()).isEqualTo(1);
    }
}
