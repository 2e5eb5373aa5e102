package dev.conntrail.topology.run;

import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/** Where the topology gets its Avro value serdes; the registry-backed one unless a test says otherwise. */
@FunctionalInterface
public interface ValueSerdes {
    <T extends SpecificRecord> Serde<T> forValues(Class<T> type, Map<String, Object> clientProperties);

    static ValueSerdes registry() {
        return RegistrySerdes::forValues;
    }
}
