package dev.conntrail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.HostPartitioner;
import dev.conntrail.schemas.Keys;
import dev.conntrail.schemas.serde.ConfluentAvroDeserializer;
import dev.conntrail.schemas.serde.ConfluentAvroSerializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Records through the real broker with the serde and the host partitioner, configured by class name. */
class BrokerSerdeTest {

    @Test
    void recordsOfAHostLandOnItsPartitionAndComeBackEqual() throws Exception {
        String topic = "tcp-events-" + UUID.randomUUID();
        int partitions = 6;
        RealCluster.broker().createTopics(partitions, topic);

        Map<String, Object> p = RealCluster.clientConfig();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ConfluentAvroSerializer.class.getName());
        p.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, HostPartitioner.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        List<TcpEvent> sent = new ArrayList<>();
        try (KafkaProducer<String, Object> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < 30; i++) {
                TcpEvent e = SampleEvents.event("host-" + (i % 5), i);
                sent.add(e);
                RecordMetadata md = producer.send(new ProducerRecord<>(topic, Keys.of(e), e)).get();
                assertThat(md.partition()).isEqualTo(HostPartitioner.partitionFor(e.getHost(), partitions));
            }
        }

        Map<String, Object> c = RealCluster.clientConfig();
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "g-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ConfluentAvroDeserializer.class.getName());
        c.put("specific.avro.reader", "true");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, Object>> got = new ArrayList<>();
        try (KafkaConsumer<String, Object> consumer = new KafkaConsumer<>(c)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (got.size() < sent.size() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(got::add);
            }
        }
        assertThat(got).hasSize(sent.size());
        for (ConsumerRecord<String, Object> r : got) {
            TcpEvent e = (TcpEvent) r.value();
            assertThat(r.key()).isEqualTo(Keys.of(e));
            assertThat(r.partition()).isEqualTo(HostPartitioner.partitionFor(r.key(), partitions));
        }
        assertThat(got.stream().map(r -> (TcpEvent) r.value()).toList()).containsExactlyInAnyOrderElementsOf(sent);
    }
}
