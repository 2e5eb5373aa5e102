package dev.conntrail.topology.run;

import dev.conntrail.schemas.registry.RegistryConfig;
import dev.conntrail.schemas.registry.RetryingSchemaRegistry;
import dev.conntrail.schemas.registry.SchemaRegistryClient;
import dev.conntrail.schemas.serde.SpecificAvroSerde;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/**
 * The registry-backed Avro value serdes of schemas/ (Confluent wire format), sharing one registry
 * client that waits out registry failures ({@link RetryingSchemaRegistry}: the stream thread retries
 * in place, bounded; docs/design.md rule 8).
 */
final class RegistrySerdes implements ValueSerdes {
    private final RetryingSchemaRegistry.Policy policy;
    private final RetryingSchemaRegistry.Listener listener;
    private RetryingSchemaRegistry client;

    RegistrySerdes(RetryingSchemaRegistry.Policy policy, RetryingSchemaRegistry.Listener listener) {
        this.policy = policy;
        this.listener = listener;
    }

    @Override
    public synchronized <T extends SpecificRecord> Serde<T> forValues(Class<T> type, Map<String, Object> clientProperties) {
        if (client == null) {
            SchemaRegistryClient rest = RegistryConfig.from(clientProperties).newClient();
            client = new RetryingSchemaRegistry(rest, policy, listener);
        }
        SpecificAvroSerde<T> serde = new SpecificAvroSerde<>(client);
        serde.configure(clientProperties, false);
        return serde;
    }

    @Override
    public synchronized long registryFailingForMillis() {
        return client == null ? -1 : client.failingForMillis();
    }

    /** Calls waiting for the registry give up at once (the topology is stopping). */
    @Override
    public synchronized void abandon() {
        if (client != null) client.abandon();
    }
}
