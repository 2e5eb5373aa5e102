package dev.conntrail.producer.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.producer.hosttest.Holders;
import dev.conntrail.testkit.Root;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A socket no process holds: the holder is killed while the server keeps its end open, so the
 * client's socket sits in FIN_WAIT2 owned by nobody (the iterator cannot see it) and the server's in
 * CLOSE_WAIT. Every method must still report both, the orphan with no pid.
 */
class OrphanSocketKernelTest {
    @Test
    void socketsNoProcessHoldsAreInTheSnapshotWithoutPid() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        try (ServerSocketChannel server = ServerSocketChannel.open(java.net.StandardProtocolFamily.INET)) {
            server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            SocketChannel accepted;
            try (Holders holders = new Holders()) {
                holders.connect(null, "127.0.0.1", port);
                accepted = server.accept();
            } // holder killed: its socket is closed by the kernel, the server's end stays open
            try (accepted) {
                int clientPort = ((InetSocketAddress) accepted.getRemoteAddress()).getPort();
                for (SocketSnapshotter.Method m : SocketSnapshotter.Method.values()) {
                    try (SocketSnapshotter s = new SocketSnapshotter(m)) {
                        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                            Snapshot snap = s.take();
                            List<SocketEntry> ours = snap.sockets().stream()
                                    .filter(e -> e.lport() == port || e.rport() == port).toList();
                            assertThat(ours).as(m.name()).anySatisfy(e -> {
                                assertThat(e.lport()).isEqualTo(clientPort);
                                assertThat(e.state()).isEqualTo(TcpStates.FIN_WAIT2);
                                assertThat(e.pid()).isNull();
                                assertThat(e.inode()).isZero();
                            });
                            assertThat(ours).as(m.name()).anySatisfy(e -> {
                                assertThat(e.lport()).isEqualTo(port);
                                assertThat(e.state()).isEqualTo(TcpStates.CLOSE_WAIT);
                                assertThat(e.pid()).isEqualTo((int) ProcessHandle.current().pid());
                            });
                            if (m == SocketSnapshotter.Method.BPF_ITER) {
                                assertThat(snap.stats().sockDiagNamespaces()).isPositive();
                            }
                        });
                    }
                }
            }
        }
    }
}
