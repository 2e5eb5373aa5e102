package dev.conntrail.topology;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Stand-in for the registry serde in TopologyTestDriver tests until dev.conntrail.schemas.serde
 * lands (then these tests switch to SpecificAvroSerde with a mock:// registry): the Confluent
 * framing (magic byte 0, 4-byte id) with a fixed id, so undecodable bytes fail the same way.
 */
final class RawAvroSerde {
    private RawAvroSerde() {
    }

    static <T extends SpecificRecord> Serde<T> of(Class<T> type) {
        dev.conntrail.topology.state.AvroTrust.trustConntrailRecords();
        SpecificDatumWriter<T> writer = new SpecificDatumWriter<>(type);
        SpecificDatumReader<T> reader = new SpecificDatumReader<>(type);
        Serializer<T> ser = (topic, v) -> {
            if (v == null) return null;
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.write(new byte[] {0, 0, 0, 0, 1});
                BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
                writer.write(v, enc);
                enc.flush();
                return out.toByteArray();
            } catch (IOException e) {
                throw new SerializationException(e);
            }
        };
        Deserializer<T> de = (topic, data) -> {
            if (data == null) return null;
            if (data.length < 5 || data[0] != 0) {
                throw new SerializationException("unknown magic byte in " + Arrays.toString(Arrays.copyOf(data, Math.min(5, data.length))));
            }
            try {
                return reader.read(null, DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, null));
            } catch (IOException | RuntimeException e) {
                throw new SerializationException("undecodable " + type.getSimpleName(), e);
            }
        };
        return Serdes.serdeFrom(ser, de);
    }
}
