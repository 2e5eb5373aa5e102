package dev.conntrail.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.avro.TcpState;
import dev.conntrail.schemas.Samples;
import dev.conntrail.schemas.SchemaSerdeException;
import dev.conntrail.schemas.registry.CompatibilityLevel;
import dev.conntrail.schemas.registry.IncompatibleSchemaException;
import dev.conntrail.schemas.registry.MockSchemaRegistry;
import dev.conntrail.schemas.registry.RegistryAdmin;
import dev.conntrail.schemas.registry.RegistryUnavailableException;
import dev.conntrail.schemas.registry.SubjectNotFoundException;
import dev.conntrail.schemas.registry.UnknownSchemaIdException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ConfluentAvroSerdeTest {
    private final String scope = "serde-test-" + UUID.randomUUID();
    private final String url = "mock://" + scope;

    @AfterEach
    void dropScope() {
        MockSchemaRegistry.dropScope(scope);
    }

    private Map<String, Object> config(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        m.put("schema.registry.url", url);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private ConfluentAvroSerializer serializer(Object... kv) {
        ConfluentAvroSerializer s = new ConfluentAvroSerializer();
        s.configure(config(kv), false);
        return s;
    }

    private ConfluentAvroDeserializer specificDeserializer() {
        ConfluentAvroDeserializer d = new ConfluentAvroDeserializer();
        d.configure(config("specific.avro.reader", "true"), false);
        return d;
    }

    private Object roundTrip(String topic, SpecificRecord r) {
        byte[] bytes = serializer().serialize(topic, r);
        return specificDeserializer().deserialize(topic, bytes);
    }

    @Test
    void wireFormatIsMagicZeroThenBigEndianIdThenAvroBody() throws Exception {
        byte[] bytes = serializer().serialize("tcp-events", Samples.fullEvent());
        int id = MockSchemaRegistry.forScope(scope).latest("tcp-events-value").id();
        assertThat(bytes[0]).isEqualTo((byte) 0);
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
        // the body is exactly what plain Avro writes
        ByteBuffer single = TcpEvent.getEncoder().encode(Samples.fullEvent()).duplicate();
        // Avro's single-object encoding has a 10-byte header; the bodies must match
        byte[] avroBody = new byte[single.remaining() - 10];
        single.position(10);
        single.get(avroBody);
        assertThat(java.util.Arrays.copyOfRange(bytes, 5, bytes.length)).isEqualTo(avroBody);
    }

    @ParameterizedTest
    @EnumSource(EventType.class)
    void tcpEventRoundTripsForEveryType(EventType type) {
        TcpEvent e = Samples.fullEvent(type, TcpState.values()[type.ordinal() % TcpState.values().length],
                Direction.values()[type.ordinal() % 3], Source.values()[type.ordinal() % 4],
                Family.values()[type.ordinal() % 3]);
        assertThat(roundTrip("tcp-events", e)).isInstanceOf(TcpEvent.class).isEqualTo(e);
    }

    @Test
    void everyEnumSymbolRoundTrips() {
        for (TcpState s : TcpState.values()) {
            TcpEvent e = Samples.fullEvent(EventType.SNAPSHOT, s, Direction.INCOMING, Source.SNAPSHOT, Family.IPV6);
            assertThat(roundTrip("tcp-events", e)).isEqualTo(e);
        }
        for (Direction d : Direction.values()) {
            for (Source src : Source.values()) {
                TcpEvent e = Samples.fullEvent(EventType.ACCEPT, TcpState.LISTEN, d, src, Family.UNKNOWN);
                assertThat(roundTrip("tcp-events", e)).isEqualTo(e);
            }
        }
    }

    @Test
    void nullsRoundTripAsNull() {
        TcpEvent hb = Samples.heartbeat();
        TcpEvent back = (TcpEvent) roundTrip("tcp-events", hb);
        assertThat(back).isEqualTo(hb);
        assertThat(back.getPid()).isNull();
        assertThat(back.getTimestamp()).isEqualTo(Samples.T_MICROS);
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void natEntryRoundTrips(Family family) {
        NatEntry n = Samples.nat(family, family == Family.IPV4 ? null : 4026531840L, family == Family.IPV6 ? null : 5L);
        assertThat(roundTrip("conntrack-nat", n)).isEqualTo(n);
    }

    @ParameterizedTest
    @EnumSource(CloseReason.class)
    void connectionRoundTripsOpenAndClosed(CloseReason reason) {
        assertThat(roundTrip("connections", Samples.openConnection())).isEqualTo(Samples.openConnection());
        Connection closed = Samples.closedUnknown(reason);
        Connection back = (Connection) roundTrip("connections", closed);
        assertThat(back).isEqualTo(closed);
        assertThat(back.getOpenedAt()).isNull();
        assertThat(back.getNat()).isNull();
    }

    @Test
    void tombstonesStayNull() {
        assertThat(serializer().serialize("connections", null)).isNull();
        assertThat(specificDeserializer().deserialize("connections", null)).isNull();
    }

    @Test
    void specificAvroSerdeRoundTripsAndRegistersUnderTopicValue() {
        try (SpecificAvroSerde<Connection> serde = new SpecificAvroSerde<>()) {
            serde.configure(config(), false);
            byte[] bytes = serde.serializer().serialize("connections", Samples.openConnection());
            Connection back = serde.deserializer().deserialize("connections", bytes);
            assertThat(back).isEqualTo(Samples.openConnection());
        }
        assertThat(MockSchemaRegistry.forScope(scope).latest("connections-value").schema())
                .isEqualTo(Connection.getClassSchema());
    }

    @Test
    void keySerializerUsesTopicKeySubject() {
        ConfluentAvroSerializer s = new ConfluentAvroSerializer();
        s.configure(config(), true);
        s.serialize("t", Samples.heartbeat());
        assertThat(MockSchemaRegistry.forScope(scope).latest("t-key").schema()).isEqualTo(TcpEvent.getClassSchema());
    }

    @Test
    void genericReaderReturnsGenericRecordsInTheWriterSchema() {
        byte[] bytes = serializer().serialize("tcp-events", Samples.fullEvent());
        ConfluentAvroDeserializer d = new ConfluentAvroDeserializer();
        d.configure(config(), false);
        Object o = d.deserialize("tcp-events", bytes);
        assertThat(o).isInstanceOf(GenericRecord.class).isNotInstanceOf(TcpEvent.class);
        assertThat(((GenericRecord) o).get("comm").toString()).isEqualTo("curl \"x\"\n");
    }

    @Test
    void unknownMagicByteSaysTheByteAndTopicAndIsPermanent() {
        byte[] json = "{\"host\":\"x\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThatThrownBy(() -> specificDeserializer().deserialize("tcp-events", json))
                .isInstanceOf(UnknownMagicByteException.class).isInstanceOf(SerializationException.class)
                .hasMessageContaining("0x7b").hasMessageContaining("'tcp-events'")
                .satisfies(e -> assertThat(SchemaSerdeException.isTransient(e)).isFalse());
    }

    @Test
    void unknownSchemaIdSaysTheIdAndRegistry() {
        byte[] bytes = {0, 0, 0, 0x30, 0x39, 2, 'a'};
        assertThatThrownBy(() -> specificDeserializer().deserialize("tcp-events", bytes))
                .isInstanceOf(UnknownSchemaIdException.class).hasMessageContaining("schema id 12345")
                .hasMessageContaining(url).satisfies(e -> assertThat(SchemaSerdeException.isTransient(e)).isFalse());
    }

    @Test
    void truncatedAndCorruptBodiesAreMalformedNotBareAvroErrors() {
        byte[] good = serializer().serialize("tcp-events", Samples.fullEvent());
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 6);
        assertThatThrownBy(() -> specificDeserializer().deserialize("tcp-events", truncated))
                .isInstanceOf(MalformedRecordException.class).hasMessageContaining("dev.conntrail.avro.TcpEvent")
                .hasMessageContaining("'tcp-events'");
        byte[] extra = java.util.Arrays.copyOf(good, good.length + 3);
        assertThatThrownBy(() -> specificDeserializer().deserialize("tcp-events", extra))
                .isInstanceOf(MalformedRecordException.class).hasMessageContaining("left over");
        assertThatThrownBy(() -> specificDeserializer().deserialize("tcp-events", new byte[] {0, 0, 1}))
                .isInstanceOf(MalformedRecordException.class).hasMessageContaining("too short");
        assertThatThrownBy(() -> specificDeserializer().deserialize("tcp-events", new byte[0]))
                .isInstanceOf(MalformedRecordException.class).hasMessageContaining("empty");
    }

    @Test
    void unreachableRegistryIsTransientAndNamesTheUrl() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        String dead = "http://127.0.0.1:" + port;
        ConfluentAvroSerializer s = new ConfluentAvroSerializer();
        s.configure(Map.of("schema.registry.url", dead), false);
        assertThatThrownBy(() -> s.serialize("tcp-events", Samples.fullEvent()))
                .isInstanceOf(RegistryUnavailableException.class).hasMessageContaining(dead)
                .hasMessageContaining("unreachable").satisfies(e -> assertThat(SchemaSerdeException.isTransient(e)).isTrue());

        ConfluentAvroDeserializer d = new ConfluentAvroDeserializer();
        d.configure(Map.of("schema.registry.url", dead, "specific.avro.reader", true), false);
        assertThatThrownBy(() -> d.deserialize("tcp-events", new byte[] {0, 0, 0, 0, 1, 0}))
                .isInstanceOf(RegistryUnavailableException.class).hasMessageContaining(dead);
    }

    @Test
    void missingUrlIsAClearConfigError() {
        assertThatThrownBy(() -> new ConfluentAvroSerializer().configure(Map.of(), false))
                .hasMessageContaining("schema.registry.url");
    }

    @Test
    void notARecordIsAClearError() {
        assertThatThrownBy(() -> serializer().serialize("t", "a string"))
                .isInstanceOf(UnsupportedValueException.class).hasMessageContaining("java.lang.String");
    }

    @Test
    void requiredFieldNullIsAClearError() {
        TcpEvent bad = Samples.fullEvent();
        bad.setHost(null);
        assertThatThrownBy(() -> serializer().serialize("tcp-events", bad))
                .isInstanceOf(UnsupportedValueException.class).hasMessageContaining("dev.conntrail.avro.TcpEvent");
    }

    @Test
    void autoRegisterFalseNeedsARegisteredSchema() {
        ConfluentAvroSerializer s = serializer("auto.register.schemas", "false");
        assertThatThrownBy(() -> s.serialize("tcp-events", Samples.fullEvent()))
                .isInstanceOf(SubjectNotFoundException.class).hasMessageContaining("tcp-events-value");
        int id = MockSchemaRegistry.forScope(scope).register("tcp-events-value", TcpEvent.getClassSchema());
        byte[] bytes = s.serialize("tcp-events", Samples.fullEvent());
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
    }

    /** A TcpEvent schema with one more optional field, as a later release might add. */
    static Schema evolvedTcpEvent() {
        String json = TcpEvent.getClassSchema().toString();
        String extra = "{\"name\":\"containerId\",\"type\":[\"null\",\"string\"],\"default\":null}";
        return new Schema.Parser().parse(json.substring(0, json.lastIndexOf(']')) + "," + extra
                + json.substring(json.lastIndexOf(']')));
    }

    @Test
    void evolutionBothWaysUnderFullTransitive() {
        MockSchemaRegistry reg = MockSchemaRegistry.forScope(scope);
        new RegistryAdmin(reg).setCompatibility("tcp-events-value", CompatibilityLevel.FULL_TRANSITIVE);
        byte[] oldData = serializer().serialize("tcp-events", Samples.fullEvent());

        Schema evolved = evolvedTcpEvent();
        GenericRecord newRecord = new GenericData.Record(evolved);
        TcpEvent base = Samples.fullEvent();
        for (Schema.Field f : TcpEvent.getClassSchema().getFields()) {
            Object v = base.get(f.pos());
            // the generic writer takes the raw Avro forms: micros for the timestamp, symbols for enums
            if (v instanceof java.time.Instant t) {
                v = t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
            } else if (v instanceof Enum<?> en) {
                Schema es = f.schema().getType() == Schema.Type.UNION ? f.schema().getTypes().get(1) : f.schema();
                v = new GenericData.EnumSymbol(es, en.name());
            }
            newRecord.put(f.name(), v);
        }
        newRecord.put("containerId", "c0ffee");
        byte[] newData = serializer().serialize("tcp-events", newRecord);
        assertThat(ByteBuffer.wrap(newData, 1, 4).getInt()).isNotEqualTo(ByteBuffer.wrap(oldData, 1, 4).getInt());

        // old reader (the generated class) reads new data
        assertThat(specificDeserializer().deserialize("tcp-events", newData)).isEqualTo(base);
        // new reader reads old data: the new field takes its default
        ConfluentAvroDeserializer newReader = new ConfluentAvroDeserializer(reg, evolved);
        newReader.configure(Map.of(), false);
        GenericRecord back = (GenericRecord) newReader.deserialize("tcp-events", oldData);
        assertThat(back.get("containerId")).isNull();
        assertThat(back.get("host").toString()).isEqualTo("web-1");
    }

    @Test
    void incompatibleChangeIsRefusedWithTheRegistrysReasons() {
        MockSchemaRegistry reg = MockSchemaRegistry.forScope(scope);
        reg.setCompatibility("tcp-events-value", CompatibilityLevel.FULL_TRANSITIVE);
        serializer().serialize("tcp-events", Samples.fullEvent());
        String json = TcpEvent.getClassSchema().toString();
        // a new required field without default: old data cannot be read by it
        Schema bad = new Schema.Parser().parse(json.substring(0, json.lastIndexOf(']'))
                + ",{\"name\":\"mustHave\",\"type\":\"string\"}" + json.substring(json.lastIndexOf(']')));
        GenericRecord r = new GenericData.Record(bad);
        assertThatThrownBy(() -> serializer().serialize("tcp-events", r))
                .isInstanceOf(IncompatibleSchemaException.class).hasMessageContaining("tcp-events-value")
                .hasMessageContaining("mustHave").hasMessageContaining("incompatible")
                .satisfies(e -> assertThat(SchemaSerdeException.isTransient(e)).isFalse());
        assertThat(reg.compatibilityProblems("tcp-events-value", bad)).isNotEmpty();
        assertThat(reg.compatibilityProblems("tcp-events-value", evolvedTcpEvent())).isEmpty();
    }

    @Test
    void useLatestVersionWritesWithTheLatestRegisteredSchema() {
        MockSchemaRegistry reg = MockSchemaRegistry.forScope(scope);
        reg.register("tcp-events-value", TcpEvent.getClassSchema());
        int latestId = reg.register("tcp-events-value", evolvedTcpEvent());
        byte[] bytes = serializer("use.latest.version", "true", "auto.register.schemas", "false")
                .serialize("tcp-events", Samples.fullEvent());
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(latestId);
        assertThat(specificDeserializer().deserialize("tcp-events", bytes)).isEqualTo(Samples.fullEvent());
    }

    @Test
    void sameSchemaGetsOneIdAcrossSerializersOfAScope() {
        byte[] a = serializer().serialize("connections", Samples.openConnection());
        byte[] b = serializer().serialize("connections", Samples.closedUnknown(CloseReason.CLOSED));
        assertThat(ByteBuffer.wrap(a, 1, 4).getInt()).isEqualTo(ByteBuffer.wrap(b, 1, 4).getInt());
    }
}
