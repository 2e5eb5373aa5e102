package dev.conntrail.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.junit.jupiter.api.Test;

class HostPartitionerTest {

    /** Kafka's own keyed choice (what the default partitioner does for a non-null key). */
    private static int kafkaDefault(String key, int n) {
        return BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), n);
    }

    @Property(tries = 2000)
    void agreesWithKafkasDefaultPartitionerOnAHostKey(
            @ForAll @StringLength(min = 1, max = 64) @CharRange(from = '!', to = '{') @Chars({'é', '→', '字'}) String host,
            @ForAll @IntRange(min = 1, max = 1000) int partitions) {
        String h = host.replace('|', '_');
        assertThat(HostPartitioner.partitionFor(h, partitions)).isEqualTo(kafkaDefault(h, partitions));
    }

    @Property(tries = 1000)
    void everyKeyOfAHostGoesWhereTheHostGoes(
            @ForAll @StringLength(min = 1, max = 32) @CharRange(from = 'a', to = 'z') String host,
            @ForAll @StringLength(max = 80) String rest,
            @ForAll @IntRange(min = 1, max = 256) int partitions) {
        String key = host + "|" + rest;
        assertThat(HostPartitioner.partitionFor(key, partitions)).isEqualTo(kafkaDefault(host, partitions));
    }

    @Test
    void producerInterfaceUsesTheTopicsPartitionCountAndKeyObjectOrBytes() {
        Node node = new Node(0, "127.0.0.1", 9092);
        List<PartitionInfo> parts = new ArrayList<>();
        for (int p = 0; p < 12; p++) {
            parts.add(new PartitionInfo("tcp-events", p, node, new Node[] {node}, new Node[] {node}));
        }
        Cluster cluster = new Cluster("c", List.of(node), parts, Set.of(), Set.of());
        String key = Keys.connectionId("db-7", 4026531840L, "10.0.0.1", 1, "10.0.0.2", 2, 3L);
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        try (HostPartitioner p = new HostPartitioner()) {
            assertThat(p.partition("tcp-events", key, keyBytes, null, null, cluster))
                    .isEqualTo(kafkaDefault("db-7", 12));
            assertThat(p.partition("tcp-events", null, keyBytes, null, null, cluster))
                    .isEqualTo(kafkaDefault("db-7", 12));
            assertThatThrownBy(() -> p.partition("tcp-events", null, null, null, null, cluster))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null key");
        }
    }
}
