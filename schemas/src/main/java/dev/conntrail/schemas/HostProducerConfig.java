package dev.conntrail.schemas;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The Kafka producer settings of whoever writes a host's records to {@code tcp-events} and {@code conntrack-nat}
 * (docs/design.md, "Topics"): {@code acks=all}, idempotence and the {@link HostPartitioner} are fixed (they win over the
 * client's); linger 20 ms, lz4 and the client id are defaults the client may override.
 */
public final class HostProducerConfig {
    private HostProducerConfig() {
    }

    /** {@code client} plus the fixed settings and the defaults. */
    public static Map<String, Object> of(Map<String, Object> client, String clientId) {
        Map<String, Object> props = new HashMap<>(client);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, HostPartitioner.class.getName());
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return props;
    }
}
