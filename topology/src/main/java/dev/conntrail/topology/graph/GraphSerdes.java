package dev.conntrail.topology.graph;

import dev.conntrail.avro.ConnectionEdge;
import dev.conntrail.avro.EdgeEnd;
import dev.conntrail.avro.WorkloadEdge;
import dev.conntrail.topology.state.AvroTrust;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serdes of what only the topology reads (the graph's stores and {@code connection-ends}): plain Avro binary
 * behind a format version byte, without the registry, as the topology's other state.
 */
public final class GraphSerdes {
    private static final byte V1 = 1;

    private GraphSerdes() {
    }

    public static Serde<EdgeEnd> ends() {
        return of(EdgeEnd.class);
    }

    static Serde<ConnectionEdge> edges() {
        return of(ConnectionEdge.class);
    }

    static Serde<WorkloadEdge> workloads() {
        return of(WorkloadEdge.class);
    }

    private static <T extends SpecificRecord> Serde<T> of(Class<T> type) {
        AvroTrust.trustConntrailRecords();
        SpecificDatumWriter<T> writer = new SpecificDatumWriter<>(type);
        SpecificDatumReader<T> reader = new SpecificDatumReader<>(type);
        Serializer<T> ser = (topic, value) -> {
            if (value == null) return null;
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
                bytes.write(V1);
                BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
                writer.write(value, encoder);
                encoder.flush();
                return bytes.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        Deserializer<T> de = (topic, data) -> {
            if (data == null) return null;
            if (data.length == 0 || data[0] != V1) {
                throw new IllegalStateException("unknown " + type.getSimpleName() + " format " + (data.length == 0 ? "(empty)" : data[0])
                        + " (this topology reads " + V1 + "); was it written by a newer conntrail?");
            }
            try {
                BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, 1, data.length - 1, null);
                return reader.read(null, decoder);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        return Serdes.serdeFrom(ser, de);
    }
}
