package dev.conntrail.examples;

import dev.conntrail.avro.Connection;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The {@code connections} table materialized in a downstream application: every partition read from the
 * beginning (the topic is compacted: its start holds the latest row of every id not yet deleted), the latest value
 * per key kept, a tombstone (null value) removing its row. CLOSED rows are still rows: they stay at least one
 * window before the topology deletes them, so an application that wants only open connections filters on state.
 *
 * <p>Values are read by any deserializer of the Confluent wire format, named by {@code value.deserializer}: ours
 * ({@code dev.conntrail.schemas.serde.ConfluentAvroDeserializer}, the default here) or Confluent's
 * {@code io.confluent.kafka.serializers.KafkaAvroDeserializer}; with {@code specific.avro.reader=true} both return
 * the generated {@link Connection}. No consumer group: nothing is committed, every start reads the table whole.
 */
public final class ConnectionsTable implements AutoCloseable {
    public static final String OUR_DESERIALIZER = "dev.conntrail.schemas.serde.ConfluentAvroDeserializer";

    private final KafkaConsumer<String, Object> consumer;
    private final Map<String, Connection> rows = new HashMap<>();

    /** {@code settings}: bootstrap.servers, schema.registry.url and any other client setting (TLS, SASL). */
    public ConnectionsTable(Map<String, Object> settings, String topic) {
        Map<String, Object> props = new HashMap<>(settings);
        props.putIfAbsent(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, OUR_DESERIALIZER);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put("specific.avro.reader", "true");
        // the topology writes with exactly-once: read only committed rows
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        consumer = new KafkaConsumer<>(props);
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
            consumer.close();
            throw new IllegalStateException("topic " + topic + " does not exist: start `conntrail topology` (it creates it)");
        }
        List<TopicPartition> parts = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
    }

    /** Reads what arrived within {@code timeout} into the table; returns how many records changed it. */
    public int poll(Duration timeout) {
        int n = 0;
        for (ConsumerRecord<String, Object> rec : consumer.poll(timeout)) {
            if (rec.value() == null) {
                rows.remove(rec.key()); // the row is gone (closed at least one window ago, or its host was lost)
            } else if (rec.value() instanceof Connection c) {
                rows.put(rec.key(), c);
            }
            n++;
        }
        return n;
    }

    /** The rows now: connection id → latest row, OPEN and CLOSED. */
    public Map<String, Connection> rows() {
        return Collections.unmodifiableMap(rows);
    }

    /** The open connections now. */
    public List<Connection> open() {
        return rows.values().stream().filter(c -> "OPEN".equals(String.valueOf(c.getState()))).toList();
    }

    @Override
    public void close() {
        consumer.close();
    }

    /** {@code ConnectionsTable BOOTSTRAP REGISTRY_URL [SECONDS]}: prints the open connections per host every 5 s. */
    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: ConnectionsTable BOOTSTRAP_SERVERS SCHEMA_REGISTRY_URL [SECONDS]");
            System.exit(2);
        }
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        p.put("schema.registry.url", args[1]);
        Map<String, Object> settings = new HashMap<>();
        p.forEach((k, v) -> settings.put((String) k, v));
        long end = System.nanoTime() + Duration.ofSeconds(args.length > 2 ? Long.parseLong(args[2]) : Long.MAX_VALUE / 2_000_000_000L).toNanos();
        try (ConnectionsTable table = new ConnectionsTable(settings, "connections")) {
            long nextPrint = 0;
            while (System.nanoTime() < end) {
                table.poll(Duration.ofMillis(500));
                if (System.nanoTime() >= nextPrint) {
                    Map<String, Long> perHost = new java.util.TreeMap<>();
                    table.open().forEach(c -> perHost.merge(c.getHost(), 1L, Long::sum));
                    System.out.println(table.rows().size() + " rows, open per host: " + perHost);
                    nextPrint = System.nanoTime() + 5_000_000_000L;
                }
            }
        }
    }
}
