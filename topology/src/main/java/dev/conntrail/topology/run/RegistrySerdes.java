package dev.conntrail.topology.run;

import dev.conntrail.schemas.registry.RegistryConfig;
import dev.conntrail.schemas.registry.SchemaRegistryClient;
import dev.conntrail.schemas.serde.SpecificAvroSerde;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/** The registry-backed Avro value serdes of schemas/ (Confluent wire format), sharing one registry client. */
final class RegistrySerdes implements ValueSerdes {
    private SchemaRegistryClient client;

    @Override
    public synchronized <T extends SpecificRecord> Serde<T> forValues(Class<T> type, Map<String, Object> clientProperties) {
        if (client == null) {
            client = RegistryConfig.from(clientProperties).newClient();
        }
        SpecificAvroSerde<T> serde = new SpecificAvroSerde<>(client);
        serde.configure(clientProperties, false);
        return serde;
    }
}
