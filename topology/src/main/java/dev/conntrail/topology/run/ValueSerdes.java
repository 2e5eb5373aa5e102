package dev.conntrail.topology.run;

import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/** Where the topology gets its Avro value serdes; the registry-backed one unless a test says otherwise. */
@FunctionalInterface
public interface ValueSerdes {
    <T extends SpecificRecord> Serde<T> forValues(Class<T> type, Map<String, Object> clientProperties);

    /** The registry-backed serdes of schemas/ ({@code schema.registry.url}; {@code mock://scope} for an in-memory registry). */
    static ValueSerdes registry() {
        return new RegistrySerdes();
    }
}
