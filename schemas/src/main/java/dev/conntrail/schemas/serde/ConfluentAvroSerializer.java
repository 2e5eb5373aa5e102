package dev.conntrail.schemas.serde;

import dev.conntrail.schemas.SchemaSerdeException;
import dev.conntrail.schemas.registry.CachedSchemaRegistry;
import dev.conntrail.schemas.registry.RegisteredSchema;
import dev.conntrail.schemas.registry.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro records (generated {@code SpecificRecord}s or {@code GenericRecord}s) in the Confluent wire format:
 * byte 0, the schema's registry id as 4 bytes big-endian, the Avro binary body. Configured like Confluent's
 * {@code io.confluent.kafka.serializers.KafkaAvroSerializer} ({@link AvroSerdeConfig}); subject
 * {@code <topic>-value} ({@code <topic>-key} for keys). Null stays null (tombstones).
 */
public class ConfluentAvroSerializer implements Serializer<Object> {
    static {
        GeneratedClassTrust.install();
    }

    static final byte MAGIC = 0;

    private SchemaRegistryClient registry;
    private boolean isKey;
    private boolean autoRegister = true;
    private boolean useLatestVersion;
    private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
    private final ThreadLocal<Buffer> buffers = ThreadLocal.withInitial(Buffer::new);
    /** The id of the last (topic, schema) written: producers mostly write one record type to one topic. */
    private volatile LastId last;

    private record LastId(String topic, Schema schema, int id) {
    }

    /** For Kafka's {@code value.serializer} setting; {@link #configure} supplies the registry. */
    public ConfluentAvroSerializer() {
    }

    /** With a given registry client (e.g. shared by several serializers); {@link #configure} is still honoured. */
    public ConfluentAvroSerializer(SchemaRegistryClient registry) {
        this.registry = registry instanceof CachedSchemaRegistry ? registry : new CachedSchemaRegistry(registry, -1);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        AvroSerdeConfig c = new AvroSerdeConfig(withDefaultUrl(configs), isKey);
        this.isKey = isKey;
        this.autoRegister = c.autoRegister;
        this.useLatestVersion = c.useLatestVersion;
        this.last = null;
        if (registry == null) {
            registry = c.newCachedClient();
        }
    }

    private Map<String, ?> withDefaultUrl(Map<String, ?> configs) {
        if (registry != null && !configs.containsKey(AvroSerdeConfig.SCHEMA_REGISTRY_URL)) {
            Map<String, Object> m = new java.util.HashMap<>(configs);
            m.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://unused-given-client");
            return m;
        }
        return configs;
    }

    @Override
    public byte[] serialize(String topic, Object data) {
        if (data == null) {
            return null;
        }
        if (registry == null) {
            throw new IllegalStateException("ConfluentAvroSerializer used before configure(): set schema.registry.url");
        }
        if (!(data instanceof GenericContainer container)) {
            throw new UnsupportedValueException("cannot write a " + data.getClass().getName() + " to topic '" + topic
                    + "' as Avro: pass a generated record (e.g. dev.conntrail.avro.TcpEvent) or a GenericRecord", null);
        }
        Schema schema = container.getSchema();
        LastId cached = last;
        if (!useLatestVersion && cached != null && cached.schema() == schema && cached.topic().equals(topic)) {
            return encode(cached.id(), schema, data, topic);
        }
        String subject = AvroSerdeConfig.subject(topic, isKey);
        int id;
        Object toWrite = data;
        Schema writeSchema = schema;
        if (useLatestVersion) {
            RegisteredSchema latest = registry.latest(subject);
            id = latest.id();
            if (!latest.schema().equals(schema)) {
                toWrite = convert(data, schema, latest.schema(), topic);
                writeSchema = latest.schema();
            }
        } else {
            id = autoRegister ? registry.register(subject, schema) : registry.lookup(subject, schema).id();
            last = new LastId(topic, schema, id);
        }
        return encode(id, writeSchema, toWrite, topic);
    }

    private byte[] encode(int id, Schema schema, Object data, String topic) {
        Buffer b = buffers.get();
        b.out.reset();
        b.out.write(MAGIC);
        b.out.write(id >>> 24);
        b.out.write(id >>> 16);
        b.out.write(id >>> 8);
        b.out.write(id);
        try {
            b.encoder = EncoderFactory.get().binaryEncoder(b.out, b.encoder);
            writer(schema).write(data, b.encoder);
            b.encoder.flush();
        } catch (IOException | RuntimeException e) {
            if (e instanceof SchemaSerdeException s) {
                throw s;
            }
            throw new UnsupportedValueException("cannot write a " + schema.getFullName() + " to topic '" + topic
                    + "': " + e + " — a required field is null or has the wrong type", e);
        }
        return b.out.toByteArray();
    }

    private DatumWriter<Object> writer(Schema schema) {
        DatumWriter<Object> w = writers.get(schema);
        return w != null ? w : writers.computeIfAbsent(schema, UnionCachingDatumWriter::new);
    }

    /** use.latest.version with an older record schema: re-read the record into the latest schema, field by name. */
    private Object convert(Object data, Schema from, Schema to, String topic) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
            writer(from).write(data, enc);
            GenericDatumReader<Object> reader = new GenericDatumReader<>(from, to, GenericData.get());
            return reader.read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
        } catch (IOException | RuntimeException e) {
            throw new UnsupportedValueException("use.latest.version: a " + from.getFullName()
                    + " cannot be written with the latest registered schema of topic '" + topic + "' (" + e.getMessage()
                    + "); register this record's schema or turn use.latest.version off", e);
        }
    }

    /** The registry client in use (after configure). */
    public SchemaRegistryClient registry() {
        return registry;
    }

    @Override
    public void close() {
        // nothing held open: the HTTP client's connections close when idle
    }

    private static final class Buffer {
        final Out out = new Out();
        BinaryEncoder encoder;
    }

    /** A ByteArrayOutputStream that does not synchronize and can be reused. */
    private static final class Out extends ByteArrayOutputStream {
        Out() {
            super(256);
        }

        @Override
        public void write(int b) {
            if (count == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            buf[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (count + len > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + len));
            }
            System.arraycopy(b, off, buf, count, len);
            count += len;
        }

        @Override
        public void reset() {
            count = 0;
        }

        @Override
        public byte[] toByteArray() {
            return Arrays.copyOf(buf, count);
        }
    }
}
