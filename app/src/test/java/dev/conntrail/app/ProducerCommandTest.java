package dev.conntrail.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.cli.Cli;
import dev.conntrail.schemas.serde.ConfluentAvroDeserializer;
import dev.conntrail.broker.EmbeddedKafkaCluster;
import dev.conntrail.testkit.TopicToEnd;
import dev.conntrail.testkit.RealCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** `conntrail producer` through the real command line, against the in-JVM broker and a mock:// registry. */
class ProducerCommandTest {
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Cli.commandLine(new Main());
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void badValuesAreBadUsage() {
        assertThat(run("producer", "--conntrack-netns", "some")).isEqualTo(Cli.USAGE);
        assertThat(err.toString()).contains("--conntrack-netns");
        assertThat(run("producer", "--heartbeat-interval", "10s", "--window", "10s")).isEqualTo(Cli.USAGE);
        assertThat(err.toString()).contains("must be less than --window");
        assertThat(run("producer", "--host-id", "h", "--netns", "graph-no-such-namespace")).isEqualTo(Cli.USAGE);
        assertThat(err.toString()).contains("--netns graph-no-such-namespace").contains("ip netns");
    }

    @Test
    void aConfigFileThatCannotBeReadIsBadUsageNamingTheFileAndWhy() throws Exception {
        Path missing = Path.of(System.getProperty("java.io.tmpdir"), "conntrail-no-such-" + System.nanoTime() + ".properties");
        assertThat(run("producer", "--host-id", "h", "--config", missing.toString())).isEqualTo(Cli.USAGE);
        assertThat(err.toString()).contains("conntrail producer: cannot read --config " + missing + ": no such file")
                .doesNotContain("--host-id");
        Path dir = Files.createTempDirectory("conntrail-config-dir");
        try {
            err.getBuffer().setLength(0);
            assertThat(run("topology", "--config", dir.toString())).isEqualTo(Cli.USAGE);
            assertThat(err.toString()).contains("conntrail topology: cannot read --config " + dir + ": it is a directory");
        } finally {
            Files.delete(dir);
        }
    }

    @Test
    void runsForItsDurationPublishingSnapshotAndHeartbeatsThenExitsZero() {
        EmbeddedKafkaCluster broker = RealCluster.broker();
        String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        String events = "tcp-events-pc-" + suffix;
        String nat = "conntrack-nat-pc-" + suffix;
        String host = "pc-" + suffix;
        String registry = "mock://pc-" + suffix;
        broker.createTopics(3, events, nat);
        try {
            int rc = run("producer", "--bootstrap-servers", broker.bootstrapServers(), "--schema-registry-url", registry,
                    "--host-id", host, "--duration", "3s", "--heartbeat-interval", "1s", "--metrics-port", "0",
                    "--events-topic", events, "--nat-topic", nat, "--conntrack-netns", "off");
            assertThat(rc).as(err.toString()).isZero();
            List<TcpEvent> got = readAll(broker, registry, events);
            assertThat(got).extracting(TcpEvent::getType).contains(EventType.SNAPSHOT_END, EventType.HEARTBEAT);
            assertThat(got).allMatch(e -> e.getHost().equals(host));
        } finally {
            broker.deleteTopics(events, nat);
        }
    }

    private static List<TcpEvent> readAll(EmbeddedKafkaCluster broker, String registry, String topic) {
        Map<String, Object> props = new HashMap<>(broker.clientConfig());
        props.put("schema.registry.url", registry);
        props.put("specific.avro.reader", "true");
        ConfluentAvroDeserializer values = new ConfluentAvroDeserializer();
        values.configure(props, false);
        List<TcpEvent> out = new ArrayList<>();
        try (KafkaConsumer<String, Object> c = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            TopicToEnd.read(c, topic, Duration.ofSeconds(10)).forEach(r -> out.add((TcpEvent) r.value()));
        }
        return out;
    }
}
