package dev.conntrail.app.faults;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.topology.run.ValueSerdes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The {@code connections} table as a read_committed reader sees it, kept current by a thread of its own (it rides
 * out a broker outage by retrying), with every row change and when it arrived.
 */
final class TableWatch implements AutoCloseable {
    /** One row change: the row (null: tombstone), its record time, and the wall time it was read. */
    record Change(String id, Connection row, long recordTime, long readAt) {
    }

    private final Map<String, Connection> table = new LinkedHashMap<>();
    private final List<Change> changes = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    TableWatch(Map<String, Object> client, String topic) {
        Map<String, Object> p = new HashMap<>(client);
        p.remove("schema.registry.url");
        p.put("isolation.level", "read_committed");
        p.put("group.id", "fault-watch-" + System.nanoTime());
        p.put("enable.auto.commit", false);
        Deserializer<Connection> values = ValueSerdes.registry().forValues(Connection.class, client).deserializer();
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        thread = new Thread(() -> {
            try (consumer) {
                List<TopicPartition> tps = new ArrayList<>();
                consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
                consumer.assign(tps);
                consumer.seekToBeginning(tps);
                while (running) {
                    try {
                        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                            Connection c = r.value() == null ? null : values.deserialize(topic, r.value());
                            synchronized (this) {
                                changes.add(new Change(r.key(), c, r.timestamp(), System.currentTimeMillis()));
                                if (c == null) table.remove(r.key());
                                else table.put(r.key(), c);
                            }
                        }
                    } catch (org.apache.kafka.common.errors.RetriableException | org.apache.kafka.common.errors.InterruptException e) {
                        if (!running) return;
                    }
                }
            }
        }, "fault-table-watch");
        thread.setDaemon(true);
        thread.start();
    }

    synchronized Map<String, Connection> table() {
        return new LinkedHashMap<>(table);
    }

    synchronized List<Change> changes() {
        return new ArrayList<>(changes);
    }

    /** Waits up to {@code timeout} until {@code done} holds for the table; the wall time it first held, or -1. */
    long await(Predicate<Map<String, Connection>> done, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (done.test(table())) return System.currentTimeMillis();
            Thread.sleep(50);
        }
        return -1;
    }

    static boolean open(Connection c) {
        return c != null && c.getState() == ConnectionState.OPEN;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
    }
}
