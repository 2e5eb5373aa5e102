package dev.conntrail.topology.run;

import dev.conntrail.schemas.registry.RetryingSchemaRegistry;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/** Where the topology gets its Avro value serdes; the registry-backed one unless a test says otherwise. */
@FunctionalInterface
public interface ValueSerdes {
    <T extends SpecificRecord> Serde<T> forValues(Class<T> type, Map<String, Object> clientProperties);

    /** Registry calls that wait for the registry give up at once (the program is stopping). */
    default void abandon() {
    }

    /** How long the registry call failing longest is failing now, in milliseconds; -1 when none is. */
    default long registryFailingForMillis() {
        return -1;
    }

    /**
     * The registry-backed serdes of schemas/ ({@code schema.registry.url}; {@code mock://scope} for an
     * in-memory registry), waiting out registry failures with the default policy.
     */
    static ValueSerdes registry() {
        return registry(RetryingSchemaRegistry.Policy.defaults(), null);
    }

    /** As {@link #registry()}, waiting out registry failures as {@code policy} says, telling {@code listener} of each retry. */
    static ValueSerdes registry(RetryingSchemaRegistry.Policy policy, RetryingSchemaRegistry.Listener listener) {
        return new RegistrySerdes(policy, listener);
    }
}
