package dev.conntrail.schemas;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.utils.Utils;

/**
 * The contract's partitioner (docs/design.md, "Topics", partitioning): every record of a host goes to
 * {@code toPositive(murmur2(utf8(host))) % n}, where host is the key up to its first {@code |}. For a key that is
 * just the host this is the partition Kafka's default partitioner picks, so tools that key by host agree.
 * Set it with {@code partitioner.class=dev.conntrail.schemas.HostPartitioner} on every producer of
 * {@code tcp-events} and {@code conntrack-nat} (and in Kafka Streams' {@code StreamPartitioner} via
 * {@link #partitionFor}).
 */
public final class HostPartitioner implements Partitioner {

    /** The partition of a record with this key among {@code numPartitions}. */
    public static int partitionFor(String key, int numPartitions) {
        if (key == null) {
            throw new IllegalArgumentException("conntrail records need a key (host first): got a null key");
        }
        if (numPartitions <= 0) {
            throw new IllegalArgumentException("numPartitions must be positive: " + numPartitions);
        }
        byte[] host = Keys.hostOf(key).getBytes(StandardCharsets.UTF_8);
        return Utils.toPositive(Utils.murmur2(host)) % numPartitions;
    }

    @Override
    public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes,
            Cluster cluster) {
        int n = cluster.partitionCountForTopic(topic);
        if (key instanceof String s) {
            return partitionFor(s, n);
        }
        if (keyBytes == null) {
            throw new IllegalArgumentException("conntrail records need a key (host first): got a null key for topic "
                    + topic);
        }
        return partitionFor(new String(keyBytes, StandardCharsets.UTF_8), n);
    }

    @Override
    public void configure(Map<String, ?> configs) {
        // no settings
    }

    @Override
    public void close() {
        // nothing to release
    }
}
