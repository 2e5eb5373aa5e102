package dev.conntrail.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conntrail.avro.Connection;
import dev.conntrail.testkit.Root;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local mode's wiring in one JVM, all real: embedded broker, topology, producer agent (eBPF when root,
 * else the /proc fallback), one shared mock:// registry. A loopback connection the test opens must
 * appear OPEN in `connections`, then CLOSED after it closes.
 */
class LocalStackTest {
    @TempDir
    Path dir;

    @Test
    void aLoopbackConnectionBecomesAnOpenRowThenClosed() throws Exception {
        String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        boolean root = Root.isRoot();
        LocalStack.Settings settings = new LocalStack.Settings(dir.resolve("data"), 0, "mock://local-" + suffix, "local-" + suffix,
                Duration.ofSeconds(10), Duration.ofSeconds(2), root, -1, -1);
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             LocalStack stack = LocalStack.start(settings, new PrintStream(progress, true, StandardCharsets.UTF_8));
             KafkaConsumer<String, Object> rows = RowsFromStart.open(stack.bootstrapServers(), stack.registryUrl(), Duration.ofSeconds(10))) {
            assertThat(progress.toString(StandardCharsets.UTF_8)).contains("starting Kafka broker", "ready in",
                    "bootstrap servers " + stack.bootstrapServers());
            assertThat(Files.exists(dir.resolve("data/.conntrail-local"))).isTrue();
            List<Connection> seen = new ArrayList<>();
            int clientPort;
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort()); Socket accepted = server.accept()) {
                clientPort = client.getLocalPort();
                await().atMost(Duration.ofSeconds(40)).until(() -> RowsFromStart.poll(rows, seen, Duration.ofMillis(200)).stream()
                        .anyMatch(c -> RowsFromStart.loopback(c, clientPort, server.getLocalPort()) && "OPEN".equals(c.getState().name())));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> RowsFromStart.poll(rows, seen, Duration.ofMillis(200)).stream()
                    .anyMatch(c -> RowsFromStart.loopback(c, clientPort, server.getLocalPort()) && "CLOSED".equals(c.getState().name())));
            Connection open = seen.stream().filter(c -> RowsFromStart.loopback(c, clientPort, server.getLocalPort())).findFirst().orElseThrow();
            assertThat(open.getHost()).isEqualTo("local-" + suffix);
            assertThat(open.getDirection().name()).isEqualTo("OUTGOING");
            assertThat(open.getPid()).isEqualTo((int) ProcessHandle.current().pid());
            assertThat(stack.failure()).isNull();
        }
    }
}
