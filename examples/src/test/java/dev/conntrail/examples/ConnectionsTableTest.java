package dev.conntrail.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.schemas.serde.ConfluentAvroSerializer;
import dev.conntrail.broker.EmbeddedKafkaCluster;
import dev.conntrail.testkit.RealCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The example consumer against the in-JVM broker and the real (Apicurio) registry: rows written in the Confluent
 * format to a compacted topic come back materialized — the latest row per id, CLOSED rows kept, tombstones
 * removing theirs. Confluent's KafkaAvroDeserializer is not on Maven Central, so only ours runs here; both are
 * named the same way ({@code value.deserializer}).
 */
class ConnectionsTableTest {
    private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");

    @Test
    void materializesTheLatestRowPerIdWithClosedRowsKeptAndTombstonesApplied() throws Exception {
        EmbeddedKafkaCluster broker = RealCluster.broker();
        String topic = "connections-example-" + UUID.randomUUID();
        broker.createTopic(topic, 3, Map.of("cleanup.policy", "compact"));
        Map<String, Object> settings = new HashMap<>(broker.clientConfig());
        settings.put("schema.registry.url", RealCluster.registry().url());
        try (KafkaProducer<String, Object> producer = new KafkaProducer<>(settings, new StringSerializer(), serializer(settings))) {
            producer.send(new ProducerRecord<>(topic, "web|a", row("web", 41000, ConnectionState.OPEN))).get();
            producer.send(new ProducerRecord<>(topic, "web|b", row("web", 41001, ConnectionState.OPEN))).get();
            producer.send(new ProducerRecord<>(topic, "db|c", row("db", 5432, ConnectionState.OPEN))).get();
            producer.send(new ProducerRecord<>(topic, "web|a", row("web", 41000, ConnectionState.CLOSED))).get();
            producer.send(new ProducerRecord<>(topic, "web|b", null)).get();
        }
        settings.put("value.deserializer", ConnectionsTable.OUR_DESERIALIZER);
        try (ConnectionsTable table = new ConnectionsTable(settings, topic)) {
            int[] read = {0};
            await().atMost(Duration.ofSeconds(30)).until(() -> (read[0] += table.poll(Duration.ofMillis(200))) == 5);
            assertThat(table.rows()).containsOnlyKeys("web|a", "db|c");
            assertThat(table.rows().get("web|a").getState()).isEqualTo(ConnectionState.CLOSED);
            assertThat(table.rows().get("web|a").getCloseReason()).isEqualTo(CloseReason.CLOSED);
            assertThat(table.open()).extracting(Connection::getHost).containsExactly("db");
        }
    }

    @Test
    void aMissingTopicSaysWhatToStart() {
        Map<String, Object> settings = new HashMap<>(RealCluster.broker().clientConfig());
        settings.put("schema.registry.url", RealCluster.registry().url());
        assertThatThrownBy(() -> new ConnectionsTable(settings, "no-such-" + UUID.randomUUID()).close())
                .hasMessageContaining("does not exist").hasMessageContaining("conntrail topology");
    }

    private static ConfluentAvroSerializer serializer(Map<String, Object> settings) {
        ConfluentAvroSerializer s = new ConfluentAvroSerializer();
        s.configure(settings, false);
        return s;
    }

    private static Connection row(String host, int lport, ConnectionState state) {
        boolean closed = state == ConnectionState.CLOSED;
        return Connection.newBuilder().setHost(host).setNetns(4026531840L).setFamily(Family.IPV4).setLaddr("10.0.0.1")
                .setLport(lport).setRaddr("10.0.0.2").setRport(443).setDirection(Direction.OUTGOING).setPid(7).setComm("curl")
                .setState(state).setCloseReason(closed ? CloseReason.CLOSED : null).setOpenedAt(T0)
                .setClosedAt(closed ? T0.plusSeconds(1) : null).setUpdatedAt(T0.plusSeconds(closed ? 1 : 0))
                .setSource(Source.EBPF).build();
    }
}
