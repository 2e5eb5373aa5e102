package dev.conntrail.producer.agent;

import dev.conntrail.schemas.HostPartitioner;
import dev.conntrail.schemas.Keys;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Design rule 7 (NAT) after a restart: the NAT keys of this host that are live on the compacted topic (published by
 * an earlier run and not tombstoned), so the first dump can tombstone those the kernel no longer holds.
 * Reads only this host's partition, to its end offset; values are not decoded (null = tombstone).
 */
final class NatKeysReader {
    private static final Logger LOG = LoggerFactory.getLogger(NatKeysReader.class);

    private NatKeysReader() {
    }

    /** Live key → namespace inode (parsed from the key). Empty (and logged) when the topic cannot be read in time. */
    static Map<String, Long> liveKeys(Map<String, Object> clientProperties, String topic, String host, Duration timeout) {
        Map<String, Object> props = new HashMap<>(clientProperties);
        props.keySet().removeIf(k -> k.startsWith("schema.registry") || k.contains("serializer") || k.contains("deserializer"));
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // producers never create topics
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "conntrail-producer-nat-keys");
        Map<String, Long> live = new HashMap<>();
        String prefix = host + Keys.SEPARATOR;
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            TopicPartition tp = new TopicPartition(topic, HostPartitioner.partitionFor(host, infos.size()));
            consumer.assign(Set.of(tp));
            consumer.seekToBeginning(Set.of(tp));
            long end = consumer.endOffsets(Set.of(tp), timeout).get(tp);
            while (consumer.position(tp, timeout) < end) {
                if (System.nanoTime() > deadline) {
                    LOG.warn("reading {}'s NAT keys back from {} took longer than {} s; stale keys of an earlier run wait for "
                            + "their DESTROY", host, topic, timeout.toSeconds());
                    return Map.of();
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() == null || !r.key().startsWith(prefix)) {
                        continue;
                    }
                    if (r.value() == null) {
                        live.remove(r.key());
                    } else {
                        live.put(r.key(), netnsOf(r.key()));
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot read NAT keys back from {} ({}); stale keys of an earlier run wait for their DESTROY", topic, e.toString());
            return Map.of();
        }
        return live;
    }

    /** The netns segment of {@code host|netns|zone|...}; -1 when absent. */
    static long netnsOf(String key) {
        String[] parts = key.split("\\|", 3);
        try {
            return parts.length > 1 ? Long.parseLong(parts[1]) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
