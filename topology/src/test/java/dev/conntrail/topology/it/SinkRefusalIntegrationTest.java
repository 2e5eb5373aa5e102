package dev.conntrail.topology.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.Keys;
import dev.conntrail.topology.errors.DeadLetters;
import dev.conntrail.topology.run.TopologyApp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Design rule 8 (guarantees): a row change the broker refuses as too large does not stop the
 * application. {@code connections} is given a small {@code max.message.bytes} while the topology
 * runs (exactly_once_v2, real broker); a row within the input bounds but beyond that limit is
 * refused at the sink. The stream thread is replaced, the input processed again, and the input of
 * that row is dead-lettered ({@code row-too-large}) while every other row is written.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SinkRefusalIntegrationTest {
    @TempDir
    java.nio.file.Path state;


    @Test
    void aRowChangeTheBrokerRefusesAsTooLargeIsDeadLetteredAndTheApplicationKeepsRunning() throws Exception {
        String prefix = ConnectionTopologyIntegrationTest.prefix();
        Kit kit = new Kit(prefix, 2);
        TopologyApp.Options o = ConnectionTopologyIntegrationTest.options(prefix, Files.createTempDirectory(state, "s"),
                Duration.ofSeconds(10));
        Map<String, Object> client = new HashMap<>(o.clientProperties());
        client.put("session.timeout.ms", 6000); // the replaced thread's tasks come back after the dead member's session
        o = new TopologyApp.Options(client, o.applicationId(), o.processingGuarantee(), o.stateDir(), o.partitions(), o.replicationFactor(),
                o.settings(), -1, Duration.ofMinutes(1));
        try (TopologyApp app = TopologyApp.start(o); Admin admin = Admin.create(TestSerdes.client())) {
            kit.send(kit.event(EventType.CONNECT, "small", 1, Instant.now()));
            kit.producer.flush();
            assertThat(kit.readCommitted(prefix + "connections", 1, Duration.ofSeconds(60))).hasSize(1);

            ConfigResource connections = new ConfigResource(ConfigResource.Type.TOPIC, prefix + "connections");
            admin.incrementalAlterConfigs(Map.of(connections, List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", "700"),
                    AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
            Thread.sleep(2000); // the broker applies the topic config

            TcpEvent big = kit.event(EventType.CONNECT, "b".repeat(250), 2, Instant.now()); // within the bounds (255), over 700 bytes as a row change
            big.setComm("c".repeat(64));
            kit.send(big);
            for (int port = 3; port < 8; port++) kit.send(kit.event(EventType.CONNECT, "small", port, Instant.now()));
            kit.producer.flush();

            List<ConsumerRecord<String, byte[]>> dead = kit.readCommitted(prefix + "connections-dlq", 1, Duration.ofSeconds(90));
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0).key()).isEqualTo(Keys.of(big));
            assertThat(new String(dead.get(0).headers().lastHeader(DeadLetters.REASON_HEADER).value(), StandardCharsets.UTF_8))
                    .isEqualTo("row-too-large");

            Map<String, Connection> table = new HashMap<>();
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (table.size() < 6 && System.nanoTime() < until) {
                table.clear();
                for (ConsumerRecord<String, byte[]> r : kit.readCommitted(prefix + "connections", 6, Duration.ofSeconds(10))) {
                    table.put(r.key(), kit.decode(r));
                }
            }
            Collection<Connection> rows = table.values();
            assertThat(rows).hasSize(6).allMatch(c -> c.getHost().equals("small"));
            assertThat(table.keySet()).doesNotContain(Keys.of(big));
            assertThat(app.metrics().count("conntrail.topology.dead.lettered", "stage", "production", "reason", "row-too-large")).isPositive();
            assertThat(app.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(app.fatalError()).isNull();
        } finally {
            kit.producer.close();
        }
    }
}
