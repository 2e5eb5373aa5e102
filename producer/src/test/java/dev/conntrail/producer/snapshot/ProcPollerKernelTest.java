package dev.conntrail.producer.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.hosttest.Holders;
import dev.conntrail.testkit.Root;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The polling fallback on real loopback sockets: a new connection gives CONNECT + ACCEPT, closing it gives CLOSE x2. */
class ProcPollerKernelTest {
    @Test
    void diffsSnapshotsIntoConnectAcceptClose() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        try (SocketSnapshotter snap = new SocketSnapshotter(SocketSnapshotter.Method.PROC);
             ProcPoller poller = new ProcPoller(snap, new SnapshotEvents("h", 1L), Duration.ofSeconds(1));
             ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            poller.baseline();
            long holderPid;
            SocketChannel accepted;
            try (Holders holders = new Holders()) {
                holderPid = holders.connect(null, "127.0.0.1", port);
                accepted = server.accept();
                List<TcpEvent> opened = ours(poller.poll(), port);
                assertThat(opened).hasSize(2);
                assertThat(opened).anySatisfy(e -> {
                    assertThat(e.getType()).isEqualTo(EventType.CONNECT);
                    assertThat(e.getDirection()).isEqualTo(Direction.OUTGOING);
                    assertThat(e.getRport()).isEqualTo(port);
                    assertThat(e.getPid()).isEqualTo((int) holderPid);
                    assertThat(e.getSource()).isEqualTo(Source.PROC_POLL);
                    assertThat(e.getCookie()).isNull();
                });
                assertThat(opened).anySatisfy(e -> {
                    assertThat(e.getType()).isEqualTo(EventType.ACCEPT);
                    assertThat(e.getDirection()).isEqualTo(Direction.INCOMING);
                    assertThat(e.getLport()).isEqualTo(port);
                    assertThat(e.getPid()).isEqualTo((int) ProcessHandle.current().pid());
                });
                assertThat(ours(poller.poll(), port)).as("no change, no event").isEmpty();
            } // holder killed: its socket is closed
            accepted.close();
            List<TcpEvent> closed = ours(poller.poll(), port);
            assertThat(closed).hasSize(2).allSatisfy(e -> {
                assertThat(e.getType()).isEqualTo(EventType.CLOSE);
                assertThat(e.getPid()).isNull();
            });
            assertThat(poller.lastPollCpuNanos.get()).isPositive();
        }
    }

    static List<TcpEvent> ours(List<TcpEvent> events, int port) {
        return events.stream().filter(e -> e.getLport() == port || e.getRport() == port).toList();
    }
}
