package dev.conntrail.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.NatInfo;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.registry.MockSchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import org.apache.avro.Schema;
import org.apache.avro.UnresolvedUnionException;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/**
 * The union-caching writer must write exactly what Avro's own {@code SpecificDatumWriter} writes. Records are
 * generated from the schemas themselves, so every field of every record type is covered (and a field added to a
 * schema later is covered without touching this test): each nullable field null or set, unicode strings
 * (supplementary planes included), extreme ints/longs, instants at the ends of the timestamp ranges.
 */
class UnionCachingDatumWriterTest {
    private static final String SCOPE = "union-writer-" + UUID.randomUUID();
    /** One writer per type for the whole run, as in the serializer: its cache fills once and is then reused. */
    private static final Map<Class<?>, DatumWriter<Object>> CACHING = Map.of(
            Connection.class, new UnionCachingDatumWriter(Connection.getClassSchema()),
            TcpEvent.class, new UnionCachingDatumWriter(TcpEvent.getClassSchema()),
            NatEntry.class, new UnionCachingDatumWriter(NatEntry.getClassSchema()));

    @AfterContainer
    static void dropScope() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    @Property(tries = 400)
    void connectionBytesEqualAvrosAndRoundTrip(@ForAll("connections") SpecificRecord record) throws IOException {
        assertSameBytesAndRoundTrip(record, "connections");
    }

    @Property(tries = 400)
    void tcpEventBytesEqualAvrosAndRoundTrip(@ForAll("tcpEvents") SpecificRecord record) throws IOException {
        assertSameBytesAndRoundTrip(record, "tcp-events");
    }

    @Property(tries = 400)
    void natEntryBytesEqualAvrosAndRoundTrip(@ForAll("natEntries") SpecificRecord record) throws IOException {
        assertSameBytesAndRoundTrip(record, "conntrack-nat");
    }

    @Provide
    Arbitrary<SpecificRecord> connections() {
        return record(Connection.getClassSchema());
    }

    @Provide
    Arbitrary<SpecificRecord> tcpEvents() {
        return record(TcpEvent.getClassSchema());
    }

    @Provide
    Arbitrary<SpecificRecord> natEntries() {
        return record(NatEntry.getClassSchema());
    }

    private static void assertSameBytesAndRoundTrip(SpecificRecord record, String topic) throws IOException {
        byte[] avro;
        try {
            avro = encode(plainWriter(record.getClass()), record);
        } catch (RuntimeException avroRefused) { // e.g. an instant Avro's conversion cannot take: refused alike
            assertThatThrownBy(() -> encode(CACHING.get(record.getClass()), record)).isInstanceOf(avroRefused.getClass());
            return;
        }
        byte[] cached = encode(CACHING.get(record.getClass()), record);
        assertThat(cached).isEqualTo(avro);

        Map<String, Object> config = Map.of("schema.registry.url", "mock://" + SCOPE, "specific.avro.reader", true);
        ConfluentAvroSerializer serializer = new ConfluentAvroSerializer();
        serializer.configure(config, false);
        ConfluentAvroDeserializer deserializer = new ConfluentAvroDeserializer();
        deserializer.configure(config, false);
        byte[] wire = serializer.serialize(topic, record);
        assertThat(Arrays.copyOfRange(wire, 5, wire.length)).isEqualTo(avro);
        assertThat(deserializer.deserialize(topic, wire)).isEqualTo(record);
    }

    @Test
    void aDatumTheUnionCannotTakeStillFailsAfterTheUnionCachedAnotherClass() throws IOException {
        // A GenericRecord can carry any Java type; Avro refuses an Integer in a ["null","long"] field rather than
        // writing it as a long. The cache must not turn that refusal into a silent write.
        Schema schema = NatInfo.getClassSchema();
        DatumWriter<Object> caching = new UnionCachingDatumWriter(schema);
        GenericRecord good = natInfo(schema, 4026531840L);
        assertThat(encode(caching, good)).isEqualTo(encode(new SpecificDatumWriter<>(schema), good));
        GenericRecord bad = natInfo(schema, 7);
        assertThatThrownBy(() -> encode(new SpecificDatumWriter<>(schema), bad)).isInstanceOf(UnresolvedUnionException.class);
        assertThatThrownBy(() -> encode(caching, bad)).isInstanceOf(UnresolvedUnionException.class);
        assertThat(encode(caching, natInfo(schema, null))).isEqualTo(encode(new SpecificDatumWriter<>(schema),
                natInfo(schema, null)));
    }

    @Test
    void aGenericRecordInAUnionIsResolvedByItsOwnSchemaEveryTime() throws IOException {
        // Two GenericData.Records share a class but not a schema: the branch must follow each record's schema.
        Schema a = Schema.createRecord("A", null, "t", false, List.of(new Schema.Field("x", Schema.create(Schema.Type.INT))));
        Schema b = Schema.createRecord("B", null, "t", false, List.of(new Schema.Field("y", Schema.create(Schema.Type.LONG))));
        Schema outer = Schema.createRecord("Outer", null, "t", false, List.of(new Schema.Field("v",
                Schema.createUnion(Schema.create(Schema.Type.NULL), a, b))));
        DatumWriter<Object> caching = new UnionCachingDatumWriter(outer);
        DatumWriter<Object> plain = new SpecificDatumWriter<>(outer);
        GenericRecord ra = new GenericData.Record(a);
        ra.put("x", 1);
        GenericRecord rb = new GenericData.Record(b);
        rb.put("y", 2L);
        for (GenericRecord inner : List.of(ra, rb, ra, rb)) {
            GenericRecord o = new GenericData.Record(outer);
            o.put("v", inner);
            assertThat(encode(caching, o)).isEqualTo(encode(plain, o));
        }
    }

    private static GenericRecord natInfo(Schema schema, Object netns) {
        GenericRecord r = new GenericData.Record(schema);
        for (Schema.Field f : schema.getFields()) {
            r.put(f.pos(), nonNull(f.schema()).getType() == Schema.Type.STRING ? "10.0.0.1" : 80);
        }
        r.put("netns", netns);
        return r;
    }

    private static byte[] encode(DatumWriter<Object> writer, Object datum) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        writer.write(datum, enc);
        enc.flush();
        return out.toByteArray();
    }

    /** Plain Avro, as the serializer wrote before: {@code new SpecificDatumWriter<>(Class)}. */
    @SuppressWarnings("unchecked")
    private static DatumWriter<Object> plainWriter(Class<?> cls) {
        return new SpecificDatumWriter<>((Class<Object>) cls);
    }

    // ---- records generated from their schema ----

    private static Arbitrary<SpecificRecord> record(Schema schema) {
        List<Arbitrary<Object>> fields = new ArrayList<>();
        for (Schema.Field f : schema.getFields()) {
            fields.add(value(f.schema()));
        }
        return Combinators.combine(fields).as(values -> {
            SpecificRecord r = (SpecificRecord) SpecificData.getForSchema(schema).newRecord(null, schema);
            for (int i = 0; i < values.size(); i++) {
                r.put(i, values.get(i));
            }
            return r;
        });
    }

    private static Arbitrary<Object> value(Schema s) {
        return switch (s.getType()) {
            case UNION -> Arbitraries.frequencyOf(
                    Tuple.of(1, Arbitraries.just(null)), Tuple.of(3, value(nonNull(s))));
            case RECORD -> record(s).map(r -> r);
            case ENUM -> Arbitraries.of(s.getEnumSymbols()).map(sym -> SpecificData.get().createEnum(sym, s));
            case STRING -> unicode().map(x -> x);
            case INT -> Arbitraries.integers().edgeCases(c -> c.add(Integer.MIN_VALUE, Integer.MAX_VALUE, 0)).map(x -> x);
            case LONG -> longValue(s);
            default -> throw new IllegalStateException("add a generator for " + s.getType() + " (" + s + ")");
        };
    }

    private static Arbitrary<Object> longValue(Schema s) {
        Arbitrary<Long> longs = Arbitraries.longs().edgeCases(c -> c.add(Long.MIN_VALUE, Long.MAX_VALUE, 0L, -1L));
        String logical = s.getLogicalType() == null ? null : s.getLogicalType().getName();
        if (logical == null) {
            return longs.map(x -> x);
        }
        return switch (logical) {
            case "timestamp-millis" -> longs.map(Instant::ofEpochMilli);
            case "timestamp-micros" -> longs.map(m -> Instant.ofEpochSecond(Math.floorDiv(m, 1_000_000L),
                    Math.floorMod(m, 1_000_000L) * 1_000L));
            default -> throw new IllegalStateException("add a generator for logical type " + logical);
        };
    }

    /** Any code point except lone surrogates (which no UTF-8 round trip keeps), short and long strings. */
    private static Arbitrary<String> unicode() {
        Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.integers().between(0x20, 0x7e)),
                Tuple.of(2, Arbitraries.integers().between(0, 0xd7ff)),
                Tuple.of(1, Arbitraries.integers().between(0xe000, 0x10ffff)));
        return codePoint.list().ofMaxSize(40).map(cps -> new String(cps.stream().mapToInt(Integer::intValue).toArray(), 0, cps.size()));
    }

    private static Schema nonNull(Schema s) {
        if (s.getType() != Schema.Type.UNION) {
            return s;
        }
        return s.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).findFirst().orElseThrow();
    }
}
