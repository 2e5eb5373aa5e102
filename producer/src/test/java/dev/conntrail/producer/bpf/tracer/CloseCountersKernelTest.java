package dev.conntrail.producer.bpf.tracer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.TcpCounters;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.bpf.layout.TracerObject;
import dev.conntrail.testkit.Root;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The counters a CLOSE carries against the kernel's own view: one loopback connection carries a known byte
 * count, `ss -tin` reads both sockets once everything is acknowledged, then both ends close in a fixed order
 * (the client shuts down its side first). What is left after ss's reading is one FIN each way, so: the client's
 * bytesAcked is ss's + 1 (its FIN; ss's already holds its SYN), its bytesReceived ss's + 1 (the server's FIN);
 * the server's bytesReceived is ss's + 1 = the bytes sent + 1, its bytesAcked ss's + 1 (the passive side's SYN
 * is not counted). Both tracepoint variants. Real sockets, loopback only. Needs root (CI runs as root).
 */
class CloseCountersKernelTest {
    private static final int BYTES = 1_000_000;
    private static final Duration BOUND = Duration.ofSeconds(10);

    @BeforeAll
    static void needsRoot() {
        Assumptions.assumeTrue(Root.isRoot(), "needs root (runs in CI as root)");
    }

    @ParameterizedTest(name = "tp_btf {0}")
    @ValueSource(booleans = {true, false})
    void closeCarriesWhatTheSocketsDidAsSsSawIt(boolean tpBtf) throws Exception {
        List<TcpEvent> events = new CopyOnWriteArrayList<>();
        try (Tracer tracer = Tracer.start(TracerOptions.defaults("test-host", 1L).withTpBtf(tpBtf), events::add);
                ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThat(tracer.attachedPrograms()).containsExactly(tpBtf ? TracerObject.PROG_STATE_BTF : TracerObject.PROG_STATE_TP);
            int serverPort = listener.getLocalPort();
            Socket client = new Socket();
            client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), serverPort), (int) BOUND.toMillis());
            client.setSoTimeout((int) BOUND.toMillis());
            int clientPort = client.getLocalPort();
            Socket server = listener.accept();
            server.setSoTimeout((int) BOUND.toMillis());

            Thread sender = new Thread(() -> {
                try {
                    OutputStream out = client.getOutputStream();
                    byte[] chunk = new byte[10_000];
                    for (int sent = 0; sent < BYTES; sent += chunk.length) {
                        out.write(chunk);
                    }
                    out.flush();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            sender.start();
            assertThat(readAll(server.getInputStream(), BYTES)).isEqualTo(BYTES);
            sender.join(BOUND.toMillis());

            String clientEnd = "127.0.0.1:" + clientPort;
            String serverEnd = "127.0.0.1:" + serverPort;
            // the kernel's view once the last data segment is acknowledged (the client's SYN counts one)
            await().atMost(BOUND).until(() -> SsTcpInfo.of(clientEnd, serverEnd).bytesAcked() == BYTES + 1L);
            SsTcpInfo ssClient = SsTcpInfo.of(clientEnd, serverEnd);
            SsTcpInfo ssServer = SsTcpInfo.of(serverEnd, clientEnd);
            assertThat(ssServer.bytesReceived()).isEqualTo(BYTES);

            client.shutdownOutput(); // client FIN
            assertThat(server.getInputStream().read()).isEqualTo(-1);
            server.close(); // server FIN
            assertThat(client.getInputStream().read()).isEqualTo(-1);
            client.close();

            await().atMost(BOUND).until(() -> close(events, clientPort, serverPort) != null && close(events, serverPort, clientPort) != null);
            TcpCounters c = close(events, clientPort, serverPort).getCounters();
            TcpCounters s = close(events, serverPort, clientPort).getCounters();
            assertThat(c).as("client CLOSE counters").isNotNull();
            assertThat(s).as("server CLOSE counters").isNotNull();

            assertThat(c.getBytesAcked()).as("client bytesAcked: ss %s", ssClient).isEqualTo(ssClient.bytesAcked() + 1).isEqualTo(BYTES + 2L);
            assertThat(c.getBytesReceived()).as("client bytesReceived: ss %s", ssClient).isEqualTo(ssClient.bytesReceived() + 1).isEqualTo(1L);
            assertThat(s.getBytesReceived()).as("server bytesReceived: ss %s", ssServer).isEqualTo(ssServer.bytesReceived() + 1)
                    .isEqualTo(BYTES + 1L);
            assertThat(s.getBytesAcked()).as("server bytesAcked: ss %s", ssServer).isEqualTo(ssServer.bytesAcked() + 1).isEqualTo(1L);
            // segments after ss read them: a FIN and an ACK each way, some of them possibly one segment
            assertThat(c.getSegsOut()).as("client segsOut: ss %s", ssClient).isBetween(ssClient.segsOut() + 1, ssClient.segsOut() + 3);
            assertThat(c.getSegsIn()).as("client segsIn: ss %s", ssClient).isBetween(ssClient.segsIn() + 1, ssClient.segsIn() + 3);
            assertThat(s.getSegsOut()).as("server segsOut: ss %s", ssServer).isBetween(ssServer.segsOut() + 1, ssServer.segsOut() + 3);
            assertThat(s.getSegsIn()).as("server segsIn: ss %s", ssServer).isBetween(ssServer.segsIn() + 1, ssServer.segsIn() + 3);
            // loopback can retransmit too (a tail-loss probe): never fewer than ss saw, and bytes only with segments
            assertThat(c.getTotalRetrans()).isGreaterThanOrEqualTo(ssClient.totalRetrans());
            assertThat(c.getBytesRetrans()).isGreaterThanOrEqualTo(ssClient.bytesRetrans());
            assertThat(c.getBytesRetrans() > 0).isEqualTo(c.getTotalRetrans() > 0);
            // srtt: ss prints srtt_us >> 3 in ms; the CLOSE's is that after at most a few more samples (the FINs' ACKs)
            assertThat(c.getSrttUs()).as("client srtt, ss %s", ssClient).isPositive().isLessThan(ssClient.rttUs() + 200_000);
            assertThat(s.getSrttUs()).as("server srtt, ss %s", ssServer).isPositive().isLessThan(ssServer.rttUs() + 200_000);
        }
    }

    private static int readAll(InputStream in, int want) throws Exception {
        byte[] buf = new byte[65536];
        int got = 0;
        while (got < want) {
            int n = in.read(buf, 0, Math.min(buf.length, want - got));
            if (n < 0) {
                break;
            }
            got += n;
        }
        return got;
    }

    private static TcpEvent close(List<TcpEvent> events, int lport, int rport) {
        return events.stream().filter(e -> e.getType() == EventType.CLOSE && e.getLport() == lport && e.getRport() == rport)
                .findFirst().orElse(null);
    }
}
