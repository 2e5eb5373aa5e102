package dev.conntrail.schemas.serde;

import dev.conntrail.schemas.registry.SchemaRegistryClient;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka Streams {@link Serde} for generated Avro records in the Confluent wire format, configured like
 * Confluent's {@code io.confluent.kafka.streams.serdes.avro.SpecificAvroSerde} (the same keys as
 * {@link ConfluentAvroSerializer}; {@code specific.avro.reader} is always true here).
 */
public class SpecificAvroSerde<T extends SpecificRecord> implements Serde<T> {
    private final ConfluentAvroSerializer serializer;
    private final ConfluentAvroDeserializer deserializer;

    public SpecificAvroSerde() {
        this.serializer = new ConfluentAvroSerializer();
        this.deserializer = new ConfluentAvroDeserializer();
    }

    /** With a given registry client, e.g. one shared by all serdes of a topology. */
    public SpecificAvroSerde(SchemaRegistryClient registry) {
        this.serializer = new ConfluentAvroSerializer(registry);
        this.deserializer = new ConfluentAvroDeserializer(registry);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        Map<String, Object> c = new HashMap<>(configs);
        c.put(AvroSerdeConfig.SPECIFIC_AVRO_READER, true);
        serializer.configure(c, isKey);
        deserializer.configure(c, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        return new Serializer<T>() {
            @Override
            public void configure(Map<String, ?> configs, boolean isKey) {
                SpecificAvroSerde.this.configure(configs, isKey);
            }

            @Override
            public byte[] serialize(String topic, T data) {
                return serializer.serialize(topic, data);
            }
        };
    }

    @Override
    @SuppressWarnings("unchecked")
    public Deserializer<T> deserializer() {
        return new Deserializer<T>() {
            @Override
            public void configure(Map<String, ?> configs, boolean isKey) {
                SpecificAvroSerde.this.configure(configs, isKey);
            }

            @Override
            public T deserialize(String topic, byte[] data) {
                return (T) deserializer.deserialize(topic, data);
            }
        };
    }

    @Override
    public void close() {
        serializer.close();
        deserializer.close();
    }
}
