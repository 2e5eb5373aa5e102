package dev.conntrail.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.SchemaSerdeException;
import dev.conntrail.schemas.registry.CompatibilityLevel;
import dev.conntrail.schemas.registry.IncompatibleSchemaException;
import dev.conntrail.schemas.registry.RegistryAdmin;
import dev.conntrail.schemas.registry.RegistryConfig;
import dev.conntrail.schemas.registry.SchemaRegistryClient;
import dev.conntrail.schemas.registry.SubjectNotFoundException;
import dev.conntrail.schemas.registry.UnknownSchemaIdException;
import dev.conntrail.schemas.serde.ConfluentAvroDeserializer;
import dev.conntrail.schemas.serde.ConfluentAvroSerializer;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/** The serde against a real Apicurio Registry through its Confluent-compatible API. */
class ApicurioSerdeTest {
    private final String topic = "t-" + UUID.randomUUID();
    private final String subject = topic + "-value";

    private static ConfluentAvroSerializer serializer(Object... kv) {
        ConfluentAvroSerializer s = new ConfluentAvroSerializer();
        s.configure(RealCluster.registryConfig(kv), false);
        return s;
    }

    private static ConfluentAvroDeserializer specificDeserializer() {
        ConfluentAvroDeserializer d = new ConfluentAvroDeserializer();
        d.configure(RealCluster.registryConfig("specific.avro.reader", "true"), false);
        return d;
    }

    private static SchemaRegistryClient client() {
        return RegistryConfig.from(RealCluster.registryConfig()).newClient();
    }

    private Object roundTrip(SpecificRecord r) {
        byte[] bytes = serializer().serialize(topic, r);
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        assertThat(bytes[0]).isZero();
        assertThat(client().latest(subject).id()).isEqualTo(id);
        assertThat(client().schemaById(id)).isEqualTo(r.getSchema());
        return specificDeserializer().deserialize(topic, bytes);
    }

    @Test
    void tcpEventRoundTripsThroughTheRealRegistry() {
        TcpEvent e = SampleEvents.event("web-1", 1);
        assertThat(roundTrip(e)).isEqualTo(e);
    }

    @Test
    void natEntryRoundTripsThroughTheRealRegistry() {
        NatEntry n = SampleEvents.nat("web-1");
        assertThat(roundTrip(n)).isEqualTo(n);
    }

    @Test
    void connectionRoundTripsThroughTheRealRegistry() {
        Connection c = SampleEvents.connection("web-1");
        assertThat(roundTrip(c)).isEqualTo(c);
    }

    static Schema withExtraField(String fieldJson) {
        String json = TcpEvent.getClassSchema().toString();
        int end = json.lastIndexOf(']');
        return new Schema.Parser().parse(json.substring(0, end) + "," + fieldJson + json.substring(end));
    }

    /** The same data as {@code e} in a generic record of the evolved schema. */
    static GenericRecord asEvolved(TcpEvent e, Schema evolved) {
        GenericRecord r = new GenericData.Record(evolved);
        for (Schema.Field f : TcpEvent.getClassSchema().getFields()) {
            Object v = e.get(f.pos());
            if (v instanceof java.time.Instant t) {
                v = t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
            } else if (v instanceof Enum<?> en) {
                Schema es = f.schema().getType() == Schema.Type.UNION ? f.schema().getTypes().get(1) : f.schema();
                v = new GenericData.EnumSymbol(es, en.name());
            }
            r.put(f.name(), v);
        }
        return r;
    }

    @Test
    void evolutionBothWaysUnderFullTransitiveSetByRegistryAdmin() {
        RegistryAdmin admin = RegistryAdmin.fromConfig(RealCluster.registryConfig());
        admin.setCompatibility(subject, CompatibilityLevel.FULL_TRANSITIVE);
        assertThat(admin.compatibility(subject)).isEqualTo(CompatibilityLevel.FULL_TRANSITIVE);

        TcpEvent original = SampleEvents.event("web-2", 7);
        byte[] oldData = serializer().serialize(topic, original);

        Schema evolved = withExtraField("{\"name\":\"containerId\",\"type\":[\"null\",\"string\"],\"default\":null}");
        GenericRecord newRecord = asEvolved(original, evolved);
        newRecord.put("containerId", "c0ffee");
        byte[] newData = serializer().serialize(topic, newRecord);
        assertThat(ByteBuffer.wrap(newData, 1, 4).getInt()).isNotEqualTo(ByteBuffer.wrap(oldData, 1, 4).getInt());

        // old reader (the generated TcpEvent) reads data written with the new schema
        assertThat(specificDeserializer().deserialize(topic, newData)).isEqualTo(original);
        // new reader reads data written with the old schema: the added field takes its default
        ConfluentAvroDeserializer newReader = new ConfluentAvroDeserializer(client(), evolved);
        newReader.configure(Map.of(), false);
        GenericRecord back = (GenericRecord) newReader.deserialize(topic, oldData);
        assertThat(back.get("containerId")).isNull();
        assertThat(back.get("seq")).isEqualTo(7L);
        assertThat(((GenericRecord) newReader.deserialize(topic, newData)).get("containerId").toString())
                .isEqualTo("c0ffee");
    }

    @Test
    void incompatibleChangeIsRefusedWithTheRegistrysMessage() {
        RegistryAdmin.fromConfig(RealCluster.registryConfig()).setCompatibility(subject, CompatibilityLevel.FULL_TRANSITIVE);
        serializer().serialize(topic, SampleEvents.event("web-3", 1));
        Schema bad = withExtraField("{\"name\":\"mustHave\",\"type\":\"string\"}");
        GenericRecord r = asEvolved(SampleEvents.event("web-3", 2), bad);
        r.put("mustHave", "x");

        List<String> problems = client().compatibilityProblems(subject, bad);
        assertThat(problems).isNotEmpty();
        assertThatThrownBy(() -> serializer().serialize(topic, r))
                .isInstanceOf(IncompatibleSchemaException.class)
                .hasMessageContaining(subject).hasMessageContaining(RealCluster.registry().url())
                .hasMessageContaining("incompatible")
                .satisfies(e -> assertThat(SchemaSerdeException.isTransient(e)).isFalse())
                .satisfies(e -> System.err.println("registry refused as expected: " + e.getMessage()));
    }

    @Test
    void unknownSchemaIdNamesTheIdAndTheRegistry() {
        byte[] bytes = {0, 0x7f, 0, 0, 1, 2};
        assertThatThrownBy(() -> specificDeserializer().deserialize(topic, bytes))
                .isInstanceOf(UnknownSchemaIdException.class).hasMessageContaining("schema id " + 0x7f000001)
                .hasMessageContaining(RealCluster.registry().url());
    }

    @Test
    void autoRegisterOffFindsOnlyRegisteredSchemas() {
        ConfluentAvroSerializer s = serializer("auto.register.schemas", false);
        assertThatThrownBy(() -> s.serialize(topic, SampleEvents.event("h", 1)))
                .isInstanceOf(SubjectNotFoundException.class).hasMessageContaining(subject);
        int id = client().register(subject, TcpEvent.getClassSchema());
        assertThat(ByteBuffer.wrap(s.serialize(topic, SampleEvents.event("h", 1)), 1, 4).getInt()).isEqualTo(id);
    }

    @Test
    void useLatestVersionWritesWithTheNewestSchema() {
        client().register(subject, TcpEvent.getClassSchema());
        int latest = client().register(subject,
                withExtraField("{\"name\":\"podName\",\"type\":[\"null\",\"string\"],\"default\":null}"));
        byte[] bytes = serializer("use.latest.version", true, "auto.register.schemas", false)
                .serialize(topic, SampleEvents.event("h", 3));
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(latest);
        assertThat(specificDeserializer().deserialize(topic, bytes)).isEqualTo(SampleEvents.event("h", 3));
    }

    @Test
    void registryAdminWarnsInsteadOfFailingWhenTheRegistryIsDown() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        RegistryAdmin down = RegistryAdmin.fromConfig(Map.of("schema.registry.url", "http://127.0.0.1:" + port));
        assertThat(down.requireFullTransitiveOnValues(List.of("tcp-events"))).isFalse();
        RegistryAdmin up = RegistryAdmin.fromConfig(RealCluster.registryConfig());
        assertThat(up.requireFullTransitiveOnValues(List.of(topic))).isTrue();
        assertThat(up.compatibility(subject)).isEqualTo(CompatibilityLevel.FULL_TRANSITIVE);
    }
}
