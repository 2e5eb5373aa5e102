package dev.conntrail.app;

import static org.awaitility.Awaitility.await;

import dev.conntrail.avro.Connection;
import dev.conntrail.schemas.serde.ConfluentAvroDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The {@code connections} table read from its start (read_committed, every partition), as a user's consumer reads it. */
public final class RowsFromStart {
    private RowsFromStart() {
    }

    /** A consumer of every partition of {@code connections}, from the beginning; waits up to {@code topicWait} for the topic. */
    public static KafkaConsumer<String, Object> open(String bootstrap, String registry, Duration topicWait) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap);
        props.put("schema.registry.url", registry);
        props.put("specific.avro.reader", "true");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        ConfluentAvroDeserializer values = new ConfluentAvroDeserializer();
        values.configure(props, false);
        KafkaConsumer<String, Object> c = new KafkaConsumer<>(props, new StringDeserializer(), values);
        await("connections topic").atMost(topicWait).ignoreExceptions()
                .until(() -> !c.partitionsFor("connections", Duration.ofSeconds(5)).isEmpty());
        List<TopicPartition> parts = new ArrayList<>();
        c.partitionsFor("connections").forEach(p -> parts.add(new TopicPartition("connections", p.partition())));
        c.assign(parts);
        c.seekToBeginning(parts);
        return c;
    }

    /** Adds the rows (not the tombstones) of one poll to {@code seen}; returns it. */
    public static List<Connection> poll(KafkaConsumer<String, Object> rows, List<Connection> seen, Duration timeout) {
        for (ConsumerRecord<String, Object> r : rows.poll(timeout)) {
            if (r.value() != null) {
                seen.add((Connection) r.value());
            }
        }
        return seen;
    }

    /** A row of the loopback socket with these ports. */
    public static boolean loopback(Connection c, int lport, int rport) {
        return c.getLport() == lport && c.getRport() == rport && c.getLaddr().endsWith("127.0.0.1");
    }
}
