package dev.conntrail.producer.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.container.TestCgroups;
import dev.conntrail.testkit.Root;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The tracer's events through {@link BpfEventSource} on the real kernel (root; CI runs as root): the sink (the tracer's
 * reader thread) gets them as read, and {@link BpfEventSource#complete} (the agent's thread, later) gives them their
 * container from the cgroup id, also once the process that connected has exited.
 */
class BpfEventSourceKernelTest {

    @Test
    void theContainerOfAProcessThatHasExitedComesFromItsCgroupId() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        String id = TestCgroups.randomId();
        List<TcpEvent> received = new CopyOnWriteArrayList<>();
        try (TestCgroups cgroups = new TestCgroups();
             ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            String path = cgroups.parent + "/docker-" + id + ".scope";
            cgroups.make(path);
            int serverPort = ((InetSocketAddress) server.getLocalAddress()).getPort();
            try (BpfEventSource source = BpfEventSource.start(AgentOptions.defaults("test-host", Map.of()), 7L, received::add)) {
                // connects, says its port, exits: the connection stays in the listener's backlog
                Process client = cgroups.start(path, "import socket\n"
                        + "s=socket.create_connection(('127.0.0.1'," + serverPort + "))\n"
                        + "print(s.getsockname()[1], flush=True)\n");
                String line = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII)).readLine();
                assertThat(line).as("the client's port").isNotNull();
                int port = Integer.parseInt(line.trim());
                assertThat(client.waitFor(10, TimeUnit.SECONDS)).as("the client exited").isTrue();
                assertThat(ProcessHandle.of(client.pid())).as("no /proc entry left to read").isEmpty();

                await("CONNECT of port " + port).atMost(Duration.ofSeconds(10)).until(() -> received.stream()
                        .anyMatch(e -> e.getType() == EventType.CONNECT && e.getLport() == port && e.getRport() == serverPort));
                TcpEvent connect = received.stream()
                        .filter(e -> e.getType() == EventType.CONNECT && e.getLport() == port && e.getRport() == serverPort)
                        .findFirst().orElseThrow();
                assertThat(connect.getPid()).isEqualTo((int) client.pid());
                assertThat(connect.getCgroupId()).isEqualTo(cgroups.id(path));
                assertThat(connect.getContainer()).as("the reader thread does not look containers up").isNull();

                source.complete(connect);

                assertThat(connect.getContainer()).as("found by the cgroup id, the process being gone").isEqualTo(id);
                assertThat(source.containerMisses()).isEqualTo(1);
                assertThat(source.containerUnresolved()).isZero();
            }
        }
    }
}
