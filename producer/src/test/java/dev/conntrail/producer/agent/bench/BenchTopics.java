package dev.conntrail.producer.agent.bench;

import dev.conntrail.broker.EmbeddedKafkaCluster;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Topics of the producer benchmarks. */
final class BenchTopics {
    private BenchTopics() {
    }

    /**
     * Waits until every partition of a new topic takes a write (one empty probe record, acked, from a producer that is
     * not idempotent). An idempotent producer's first batch sent before the broker has applied the partition's creation
     * fails with NOT_LEADER_OR_FOLLOWER while its next one succeeds; the first is then retried with
     * OUT_OF_ORDER_SEQUENCE_NUMBER until delivery.timeout.ms (KAFKA-15591; seen here with 4.4.0 clients and broker).
     */
    static void awaitWritable(EmbeddedKafkaCluster broker, String topic, int partitions) throws Exception {
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        config.put("enable.idempotence", false);
        config.put("acks", "all");
        try (KafkaProducer<byte[], byte[]> probe = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int p = 0; p < partitions; p++) {
                probe.send(new ProducerRecord<>(topic, p, null, new byte[0])).get(60, TimeUnit.SECONDS);
            }
        }
    }
}
