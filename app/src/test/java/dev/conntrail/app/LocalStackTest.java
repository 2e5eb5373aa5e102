package dev.conntrail.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conntrail.avro.Connection;
import dev.conntrail.schemas.serde.ConfluentAvroDeserializer;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
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
             KafkaConsumer<String, Object> rows = consumer(stack)) {
            assertThat(progress.toString(StandardCharsets.UTF_8)).contains("starting Kafka broker", "ready in",
                    "bootstrap servers " + stack.bootstrapServers());
            assertThat(Files.exists(dir.resolve("data/.conntrail-local"))).isTrue();
            List<Connection> seen = new ArrayList<>();
            int clientPort;
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort()); Socket accepted = server.accept()) {
                clientPort = client.getLocalPort();
                await().atMost(Duration.ofSeconds(40)).until(() -> poll(rows, seen).stream()
                        .anyMatch(c -> isOurs(c, clientPort, server.getLocalPort()) && "OPEN".equals(c.getState().name())));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> poll(rows, seen).stream()
                    .anyMatch(c -> isOurs(c, clientPort, server.getLocalPort()) && "CLOSED".equals(c.getState().name())));
            Connection open = seen.stream().filter(c -> isOurs(c, clientPort, server.getLocalPort())).findFirst().orElseThrow();
            assertThat(open.getHost()).isEqualTo("local-" + suffix);
            assertThat(open.getDirection().name()).isEqualTo("OUTGOING");
            assertThat(open.getPid()).isEqualTo((int) ProcessHandle.current().pid());
            assertThat(stack.failure()).isNull();
        }
    }

    private static boolean isOurs(Connection c, int lport, int rport) {
        return c.getLport() == lport && c.getRport() == rport && c.getLaddr().endsWith("127.0.0.1");
    }

    private static List<Connection> poll(KafkaConsumer<String, Object> rows, List<Connection> seen) {
        for (ConsumerRecord<String, Object> r : rows.poll(Duration.ofMillis(200))) {
            if (r.value() != null) {
                seen.add((Connection) r.value());
            }
        }
        return seen;
    }

    private static KafkaConsumer<String, Object> consumer(LocalStack stack) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", stack.bootstrapServers());
        props.put("schema.registry.url", stack.registryUrl());
        props.put("specific.avro.reader", "true");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        ConfluentAvroDeserializer values = new ConfluentAvroDeserializer();
        values.configure(props, false);
        KafkaConsumer<String, Object> c = new KafkaConsumer<>(props, new StringDeserializer(), values);
        List<TopicPartition> parts = new ArrayList<>();
        c.partitionsFor("connections", Duration.ofSeconds(10)).forEach(p -> parts.add(new TopicPartition("connections", p.partition())));
        c.assign(parts);
        c.seekToBeginning(parts);
        return c;
    }
}
