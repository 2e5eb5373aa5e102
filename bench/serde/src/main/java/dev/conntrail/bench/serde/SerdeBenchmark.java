package dev.conntrail.bench.serde;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatInfo;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.avro.TcpState;
import dev.conntrail.schemas.registry.MockSchemaRegistry;
import dev.conntrail.schemas.serde.ConfluentAvroDeserializer;
import dev.conntrail.schemas.serde.ConfluentAvroSerializer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encode and decode of one fully populated {@code TcpEvent} or {@code Connection} (the topology's output row,
 * with NAT facts and a CLOSED state): through the Confluent-wire-format serde (magic byte,
 * schema id, Avro body; ids cached after the first call, as in production) against plain Avro
 * {@code SpecificDatumWriter}/{@code SpecificDatumReader} without the header. Both produce / consume a fresh
 * {@code byte[]} per record. The registry is {@code mock://} so no network time is measured: after the first
 * record the serde never calls it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SerdeBenchmark {
    @Param({"TcpEvent", "Connection"})
    public String record;

    private String topic;
    private GenericContainer event;
    private ConfluentAvroSerializer serializer;
    private ConfluentAvroDeserializer deserializer;
    private byte[] wireBytes;

    private SpecificDatumWriter<Object> writer;
    private SpecificDatumReader<Object> reader;
    private ByteArrayOutputStream out;
    private BinaryEncoder encoder;
    private BinaryDecoder decoder;
    private byte[] plainBytes;
    private String scope;

    @Setup
    @SuppressWarnings("unchecked")
    public void setUp() throws IOException {
        TcpEvent tcpEvent = TcpEvent.newBuilder().setHost("web-17.example.internal").setAgentEpoch(1_764_189_999_000L)
                .setSeq(123_456_789L).setType(EventType.CONNECT).setTimestamp(Instant.ofEpochSecond(1_764_190_000L, 123_456_000L))
                .setPid(48213).setTid(48217).setComm("java").setUid(1000L).setCgroupId(123_456L)
                .setNetns(4026531840L).setFamily(Family.IPV4).setLaddr("10.1.2.3").setLport(51234)
                .setRaddr("10.9.8.7").setRport(443).setCookie(81_234_567L).setDirection(Direction.OUTGOING)
                .setTcpState(null).setSource(Source.EBPF).setSnapshotId(null).build();
        Connection connection = Connection.newBuilder().setHost("web-17.example.internal").setNetns(4026531840L)
                .setFamily(Family.IPV4).setLaddr("10.1.2.3").setLport(51234).setRaddr("10.9.8.7").setRport(443)
                .setCookie(81_234_567L).setDirection(Direction.OUTGOING).setPid(48213).setComm("java").setUid(1000L)
                .setCgroupId(123_456L).setState(ConnectionState.CLOSED).setCloseReason(CloseReason.CLOSED)
                .setOpenedAt(Instant.ofEpochMilli(1_764_190_000_123L)).setClosedAt(Instant.ofEpochMilli(1_764_190_001_456L))
                .setUpdatedAt(Instant.ofEpochMilli(1_764_190_001_457L)).setSource(Source.EBPF)
                .setNat(NatInfo.newBuilder().setNetns(4026531840L).setOrigSrc("10.1.2.3").setOrigSport(51234)
                        .setOrigDst("10.9.8.7").setOrigDport(443).setReplySrc("172.17.0.2").setReplySport(8443)
                        .setReplyDst("10.1.2.3").setReplyDport(51234).build())
                .build();
        boolean isConnection = record.equals("Connection");
        event = isConnection ? connection : tcpEvent;
        topic = isConnection ? "connections" : "tcp-events";
        Class<?> cls = event.getClass();
        scope = "bench-" + System.nanoTime();
        Map<String, Object> config = Map.of("schema.registry.url", "mock://" + scope, "specific.avro.reader", true);
        serializer = new ConfluentAvroSerializer();
        serializer.configure(config, false);
        deserializer = new ConfluentAvroDeserializer();
        deserializer.configure(config, false);
        wireBytes = serializer.serialize(topic, event);

        writer = new SpecificDatumWriter<>((Class<Object>) cls);
        reader = new SpecificDatumReader<>((Class<Object>) cls);
        out = new ByteArrayOutputStream(256);
        plainBytes = encodePlainAvro();
        if (!deserializer.deserialize(topic, wireBytes).equals(event) || !decodePlainAvro().equals(event)
                || wireBytes.length != plainBytes.length + 5) {
            throw new IllegalStateException("the two paths do not agree; the benchmark would compare different work");
        }
        TcpState.values(); // load
    }

    @TearDown
    public void tearDown() {
        MockSchemaRegistry.dropScope(scope);
    }

    @Benchmark
    public byte[] encodeWireFormat() {
        return serializer.serialize(topic, event);
    }

    @Benchmark
    public Object decodeWireFormat() {
        return deserializer.deserialize(topic, wireBytes);
    }

    @Benchmark
    public byte[] encodePlainAvro() throws IOException {
        out.reset();
        encoder = EncoderFactory.get().binaryEncoder(out, encoder);
        writer.write(event, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    @Benchmark
    public Object decodePlainAvro() throws IOException {
        decoder = DecoderFactory.get().binaryDecoder(plainBytes, decoder);
        return reader.read(null, decoder);
    }
}
