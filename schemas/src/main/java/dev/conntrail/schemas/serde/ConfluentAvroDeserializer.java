package dev.conntrail.schemas.serde;

import dev.conntrail.schemas.SchemaSerdeException;
import dev.conntrail.schemas.registry.CachedSchemaRegistry;
import dev.conntrail.schemas.registry.SchemaRegistryClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-wire-format Avro values: the writer schema is fetched by the id in the header (once per id),
 * and resolved against the reader schema so data written with an older or newer compatible schema decodes into
 * this program's records. With {@code specific.avro.reader=true} the result is the generated class (e.g.
 * {@code dev.conntrail.avro.TcpEvent}); else a {@code GenericRecord} in the writer's schema, or in the reader
 * schema given to {@link #ConfluentAvroDeserializer(SchemaRegistryClient, Schema)}. Null stays null.
 */
public class ConfluentAvroDeserializer implements Deserializer<Object> {
    static {
        GeneratedClassTrust.install();
    }

    private SchemaRegistryClient registry;
    private boolean specificReader;
    private final Schema readerSchema;
    private final Map<Integer, DatumReader<Object>> readers = new ConcurrentHashMap<>();
    private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();
    /** The reader of the last id seen: a topic's records almost always carry one id. */
    private volatile IdReader last;

    private record IdReader(int id, DatumReader<Object> reader) {
    }

    /** For Kafka's {@code value.deserializer} setting; {@link #configure} supplies the registry. */
    public ConfluentAvroDeserializer() {
        this.readerSchema = null;
    }

    /** With a given registry client; {@link #configure} is still honoured (without needing the URL). */
    public ConfluentAvroDeserializer(SchemaRegistryClient registry) {
        this(registry, null);
    }

    /**
     * Reads every value into {@code readerSchema} (Avro schema resolution: fields by name, defaults for missing
     * ones); specific records when the schema has a generated class and {@code specific.avro.reader=true}.
     */
    public ConfluentAvroDeserializer(SchemaRegistryClient registry, Schema readerSchema) {
        this.registry = registry == null || registry instanceof CachedSchemaRegistry ? registry
                : new CachedSchemaRegistry(registry, -1);
        this.readerSchema = readerSchema;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        Map<String, ?> effective = configs;
        if (registry != null && !configs.containsKey(AvroSerdeConfig.SCHEMA_REGISTRY_URL)) {
            Map<String, Object> m = new java.util.HashMap<>(configs);
            m.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://unused-given-client");
            effective = m;
        }
        AvroSerdeConfig c = new AvroSerdeConfig(effective, isKey);
        this.specificReader = c.specificReader;
        this.readers.clear();
        this.last = null;
        if (registry == null) {
            registry = c.newCachedClient();
        }
    }

    /** Sets {@code specific.avro.reader} without a configuration map. */
    public ConfluentAvroDeserializer specific(boolean specific) {
        this.specificReader = specific;
        this.readers.clear();
        this.last = null;
        return this;
    }

    @Override
    public Object deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        return decode(topic, data, 0, data.length);
    }

    @Override
    public Object deserialize(String topic, Headers headers, ByteBuffer data) {
        if (data == null) {
            return null;
        }
        if (data.hasArray()) {
            return decode(topic, data.array(), data.arrayOffset() + data.position(), data.remaining());
        }
        byte[] copy = new byte[data.remaining()];
        data.duplicate().get(copy);
        return decode(topic, copy, 0, copy.length);
    }

    private Object decode(String topic, byte[] data, int offset, int length) {
        if (registry == null) {
            throw new IllegalStateException("ConfluentAvroDeserializer used before configure(): set schema.registry.url");
        }
        if (length < 1 || data[offset] != ConfluentAvroSerializer.MAGIC) {
            if (length < 1) {
                throw new MalformedRecordException("empty value on topic '" + topic + "': not a Confluent-wire-format"
                        + " Avro record (a tombstone is null, not empty); fix the producer of this topic", null);
            }
            throw new UnknownMagicByteException(topic, data[offset] & 0xff);
        }
        if (length < 5) {
            throw new MalformedRecordException("value on topic '" + topic + "' is " + length
                    + " bytes, too short for the 5-byte Confluent wire-format header", null);
        }
        int id = ((data[offset + 1] & 0xff) << 24) | ((data[offset + 2] & 0xff) << 16)
                | ((data[offset + 3] & 0xff) << 8) | (data[offset + 4] & 0xff);
        IdReader cached = last;
        DatumReader<Object> reader;
        if (cached != null && cached.id() == id) {
            reader = cached.reader();
        } else {
            reader = readers.get(id);
            if (reader == null) {
                reader = newReader(id, topic);
                readers.put(id, reader);
            }
            last = new IdReader(id, reader);
        }
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, offset + 5, length - 5, decoders.get());
            decoders.set(decoder);
            Object result = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new IOException((decoder.inputStream().available()) + " bytes left over after the record");
            }
            return result;
        } catch (IOException | RuntimeException e) {
            if (e instanceof SchemaSerdeException s) {
                throw s;
            }
            throw new MalformedRecordException("value on topic '" + topic + "' with schema id " + id
                    + " does not decode as " + registry.schemaById(id).getFullName() + ": " + e
                    + " — the record is corrupt or was written with another schema than its id says", e);
        }
    }

    private DatumReader<Object> newReader(int id, String topic) {
        Schema writer = registry.schemaById(id);
        Schema reader = readerSchema;
        if (reader == null && specificReader) {
            Class<?> cls = SpecificData.get().getClass(writer);
            if (cls == null) {
                throw new MalformedRecordException("schema id " + id + " on topic '" + topic + "' is "
                        + writer.getFullName() + ", which has no generated class on the classpath; set"
                        + " specific.avro.reader=false to read it as a GenericRecord", null);
            }
            reader = SpecificData.get().getSchema(cls);
        }
        if (reader == null) {
            reader = writer;
        }
        if (specificReader) {
            return new SpecificDatumReader<>(writer, reader);
        }
        return new GenericDatumReader<>(writer, reader, GenericData.get());
    }

    /** The registry client in use (after configure). */
    public SchemaRegistryClient registry() {
        return registry;
    }

    @Override
    public void close() {
        // nothing held open
    }
}
