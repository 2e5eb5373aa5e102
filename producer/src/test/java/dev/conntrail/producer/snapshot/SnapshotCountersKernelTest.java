package dev.conntrail.producer.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conntrail.avro.TcpCounters;
import dev.conntrail.producer.bpf.tracer.SsTcpInfo;
import dev.conntrail.testkit.Root;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The socket iterator reads each open socket's counters (the tracer's CLOSE figures, so far): a loopback
 * connection that carried a known byte count and is idle again agrees with `ss -tin` on both sockets, exactly.
 * Real sockets, loopback only. Needs root (CI runs as root).
 */
class SnapshotCountersKernelTest {
    private static final int BYTES = 300_000;
    private static final Duration BOUND = Duration.ofSeconds(10);

    @Test
    void theIteratorsCountersOfAnIdleConnectionAreSs() throws Exception {
        Assumptions.assumeTrue(Root.isRoot(), "needs root (runs in CI as root)");
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()); Socket client = new Socket()) {
            client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()), (int) BOUND.toMillis());
            try (Socket server = listener.accept()) {
                server.setSoTimeout((int) BOUND.toMillis());
                client.getOutputStream().write(new byte[BYTES]);
                InputStream in = server.getInputStream();
                byte[] buf = new byte[65536];
                for (int got = 0; got < BYTES; ) {
                    int n = in.read(buf);
                    assertThat(n).as("server read").isPositive();
                    got += n;
                }
                server.getOutputStream().write(new byte[] {1, 2, 3});
                assertThat(client.getInputStream().readNBytes(3)).hasSize(3);
                String c = "127.0.0.1:" + client.getLocalPort();
                String s = "127.0.0.1:" + server.getLocalPort();
                await().atMost(BOUND).until(() -> SsTcpInfo.of(c, s).bytesAcked() == BYTES + 1L && SsTcpInfo.of(s, c).bytesAcked() == 3);

                SsTcpInfo ssClient = SsTcpInfo.of(c, s);
                SsTcpInfo ssServer = SsTcpInfo.of(s, c);
                Snapshot snap;
                try (SocketSnapshotter snapshotter = new SocketSnapshotter(SocketSnapshotter.Method.BPF_ITER)) {
                    snap = snapshotter.take();
                }
                SsTcpInfo ssClientAfter = SsTcpInfo.of(c, s);

                TcpCounters ofClient = entry(snap, client.getLocalPort(), server.getLocalPort()).counters();
                TcpCounters ofServer = entry(snap, server.getLocalPort(), client.getLocalPort()).counters();
                assertThat(ofClient).as("client socket's counters").isNotNull();
                assertThat(ofServer).as("server socket's counters").isNotNull();
                assertThat(ofClient.getBytesAcked()).as("ss %s", ssClient).isEqualTo(ssClient.bytesAcked()).isEqualTo(BYTES + 1L);
                assertThat(ofClient.getBytesReceived()).as("ss %s", ssClient).isEqualTo(ssClient.bytesReceived()).isEqualTo(3);
                assertThat(ofServer.getBytesReceived()).as("ss %s", ssServer).isEqualTo(ssServer.bytesReceived()).isEqualTo(BYTES);
                assertThat(ofServer.getBytesAcked()).as("ss %s", ssServer).isEqualTo(ssServer.bytesAcked()).isEqualTo(3);
                // idle: segments do not move (a delayed ACK may still leave between ss's reading and the pass)
                assertThat(ofClient.getSegsOut()).isBetween(ssClient.segsOut(), ssClientAfter.segsOut());
                assertThat(ofClient.getSegsIn()).isBetween(ssClient.segsIn(), ssClientAfter.segsIn());
                assertThat(ofClient.getTotalRetrans()).isEqualTo(ssClient.totalRetrans());
                assertThat(ofClient.getSrttUs()).as("srtt; ss rtt %d us", ssClient.rttUs()).isPositive()
                        .isBetween(ssClient.rttUs() - 1, ssClient.rttUs() + 1); // ss prints ms with 3 decimals
            }
        }
    }

    private static SocketEntry entry(Snapshot snap, int lport, int rport) {
        return snap.sockets().stream().filter(e -> e.lport() == lport && e.rport() == rport)
                .findFirst().orElseThrow(() -> new AssertionError("no socket :" + lport + " -> :" + rport + " in the snapshot"));
    }
}
