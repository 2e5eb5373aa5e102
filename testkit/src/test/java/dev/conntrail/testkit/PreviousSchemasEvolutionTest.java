package dev.conntrail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.registry.CompatibilityLevel;
import dev.conntrail.schemas.registry.RegistryAdmin;
import dev.conntrail.schemas.registry.RegistryConfig;
import dev.conntrail.schemas.registry.SchemaRegistryClient;
import dev.conntrail.schemas.serde.ConfluentAvroDeserializer;
import dev.conntrail.schemas.serde.ConfluentAvroSerializer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The value schemas of this build against the previous release's (schemas/src/test/resources/previous-schemas/,
 * copied from the released .avsc files) in the real registry under FULL_TRANSITIVE: the previous schema
 * registered first, the serde's auto-registration then accepts the current one; an old reader (the previous
 * schema as reader schema) decodes records written with the current schema, through the serde and in plain
 * Avro, and the current reader decodes records written with the previous one, new fields taking their defaults.
 * Holds for any fields added since, as long as they are optional with a default (checked first).
 */
class PreviousSchemasEvolutionTest {
    private static final Path PREVIOUS = Path.of("..").toAbsolutePath().normalize()
            .resolve("schemas/src/test/resources/previous-schemas");

    static Stream<Arguments> records() {
        TcpEvent event = SampleEvents.event("web-1", 5);
        event.setContainer("4a6c1e0e1b8c0a7f5c3a7e1d2b9f8a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a");
        Connection row = SampleEvents.connection("web-1");
        row.setContainer("4a6c1e0e1b8c0a7f5c3a7e1d2b9f8a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a");
        return Stream.of(Arguments.of("TcpEvent", event), Arguments.of("Connection", row),
                Arguments.of("NatEntry", SampleEvents.nat("web-1")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("records")
    void theCurrentSchemaEvolvesThePreviousOneBothWays(String name, SpecificRecord current) throws IOException {
        Schema previous = new Schema.Parser().parse(PREVIOUS.resolve(name + ".avsc").toFile());
        Schema now = current.getSchema();
        assertThat(previous.getFullName()).isEqualTo(now.getFullName());
        for (Schema.Field f : now.getFields()) {
            if (previous.getField(f.name()) == null) {
                assertThat(f.hasDefaultValue()).as("field %s added to %s has a default", f.name(), name).isTrue();
            }
        }
        for (Schema.Field f : previous.getFields()) {
            assertThat(now.getField(f.name())).as("field %s of %s is kept", f.name(), name).isNotNull();
        }

        String topic = "evolve-" + name + "-" + UUID.randomUUID();
        String subject = RegistryAdmin.valueSubject(topic);
        SchemaRegistryClient client = RegistryConfig.from(RealCluster.registryConfig()).newClient();
        RegistryAdmin.fromConfig(RealCluster.registryConfig()).setCompatibility(subject, CompatibilityLevel.FULL_TRANSITIVE);
        int previousId = client.register(subject, previous);
        assertThat(client.compatibilityProblems(subject, now)).as("registry's verdict on %s", name).isEmpty();

        // the producer's and topology's path: the serde registers the current schema itself
        ConfluentAvroSerializer serializer = new ConfluentAvroSerializer();
        serializer.configure(RealCluster.registryConfig(), false);
        byte[] newData = serializer.serialize(topic, current);
        int currentId = ByteBuffer.wrap(newData, 1, 4).getInt();
        assertThat(currentId).isNotEqualTo(previousId);
        assertThat(client.latest(subject).id()).isEqualTo(currentId);
        assertThat(client.register(subject, now)).as("registering again finds it").isEqualTo(currentId);

        // an old reader, through the serde: the previous schema as reader schema
        ConfluentAvroDeserializer oldReader = new ConfluentAvroDeserializer(client, previous);
        oldReader.configure(Map.of(), false);
        GenericRecord oldView = (GenericRecord) oldReader.deserialize(topic, newData);
        assertSameValues(previous, oldView, genericOf(current, now));

        // and in plain Avro
        GenericRecord plainOld = new GenericDatumReader<GenericRecord>(now, previous)
                .read(null, DecoderFactory.get().binaryDecoder(avroBytes(current), null));
        assertSameValues(previous, plainOld, genericOf(current, now));

        // the current reader on data written with the previous schema (through the serde, its id found)
        byte[] oldData = serializer.serialize(topic, oldView);
        assertThat(ByteBuffer.wrap(oldData, 1, 4).getInt()).isEqualTo(previousId);
        ConfluentAvroDeserializer newReader = new ConfluentAvroDeserializer();
        newReader.configure(RealCluster.registryConfig("specific.avro.reader", "true"), false);
        SpecificRecord back = (SpecificRecord) newReader.deserialize(topic, oldData);
        for (Schema.Field f : now.getFields()) {
            Object expected = previous.getField(f.name()) == null ? null : current.get(f.pos());
            assertThat(back.get(f.pos())).as("%s.%s read from previous-schema data", name, f.name()).isEqualTo(expected);
        }
        SpecificRecord plainNew = new SpecificDatumReader<SpecificRecord>(previous, now)
                .read(null, DecoderFactory.get().binaryDecoder(genericBytes(oldView, previous), null));
        assertThat(plainNew).isEqualTo(back);
    }

    /** Every field of the previous schema holds the value the current record had. */
    private static void assertSameValues(Schema previous, GenericRecord old, GenericRecord current) {
        for (Schema.Field f : previous.getFields()) {
            // toString: enums and nested records of two schema objects compare by content
            assertThat(String.valueOf(old.get(f.name()))).as(f.name()).isEqualTo(String.valueOf(current.get(f.name())));
        }
    }

    private static GenericRecord genericOf(SpecificRecord r, Schema schema) throws IOException {
        return new GenericDatumReader<GenericRecord>(schema).read(null, DecoderFactory.get().binaryDecoder(avroBytes(r), null));
    }

    private static byte[] avroBytes(SpecificRecord r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder e = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<SpecificRecord>(r.getSchema()).write(r, e);
        e.flush();
        return out.toByteArray();
    }

    private static byte[] genericBytes(GenericRecord r, Schema schema) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder e = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(r, e);
        e.flush();
        return out.toByteArray();
    }
}
