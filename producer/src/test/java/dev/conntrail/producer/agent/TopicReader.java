package dev.conntrail.producer.agent;

import dev.conntrail.schemas.serde.ConfluentAvroDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a whole topic from the beginning into a list (values decoded into generated classes), for assertions. */
final class TopicReader implements AutoCloseable {
    final List<ConsumerRecord<String, Object>> records = new CopyOnWriteArrayList<>();
    private final KafkaConsumer<String, Object> consumer;

    TopicReader(Map<String, Object> client, String registryUrl, String topic) {
        Map<String, Object> props = new HashMap<>(client);
        props.put("schema.registry.url", registryUrl);
        props.put("specific.avro.reader", "true");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        ConfluentAvroDeserializer values = new ConfluentAvroDeserializer();
        values.configure(props, false);
        consumer = new KafkaConsumer<>(props, new StringDeserializer(), values);
        List<TopicPartition> parts = new ArrayList<>();
        consumer.partitionsFor(topic, Duration.ofSeconds(10)).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
    }

    /** Reads what has arrived; returns everything read so far. */
    List<ConsumerRecord<String, Object>> poll() {
        for (ConsumerRecord<String, Object> r : consumer.poll(Duration.ofMillis(200))) {
            records.add(r);
        }
        return records;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
