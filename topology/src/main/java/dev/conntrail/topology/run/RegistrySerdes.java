package dev.conntrail.topology.run;

import java.util.HashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/** The registry-backed Avro value serde of schemas/ (Confluent wire format), configured like Confluent's. */
final class RegistrySerdes {
    private static final String SERDE = "dev.conntrail.schemas.serde.SpecificAvroSerde";

    private RegistrySerdes() {
    }

    @SuppressWarnings("unchecked")
    static <T extends SpecificRecord> Serde<T> forValues(Class<T> type, Map<String, Object> clientProperties) {
        dev.conntrail.topology.state.AvroTrust.trustConntrailRecords();
        Serde<T> serde;
        try {
            Class<?> c = Class.forName(SERDE);
            try {
                serde = (Serde<T>) c.getConstructor(Class.class).newInstance(type);
            } catch (NoSuchMethodException e) {
                serde = (Serde<T>) c.getConstructor().newInstance();
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the registry serde " + SERDE + " is not on the class path", e);
        }
        Map<String, Object> config = new HashMap<>(clientProperties);
        config.putIfAbsent("specific.avro.reader", true);
        serde.configure(config, false);
        return serde;
    }
}
