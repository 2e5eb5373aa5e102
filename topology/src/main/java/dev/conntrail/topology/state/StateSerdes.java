package dev.conntrail.topology.state;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.NatEntry;
import java.io.ByteArrayInputStream;
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
 * Serdes of the topology's own state stores. State is private to the topology (its changelogs are
 * internal topics), so it goes without the registry, behind a format version byte: rows in a
 * hand-written layout ({@link ConnectionCodec}, the hot path), NAT entries as plain Avro binary.
 * A future {@code Connection} schema change bumps the version byte and keeps a reader for the old one.
 */
public final class StateSerdes {
    private static final byte ROW_V1 = 1;
    private static final byte ROW_V2 = 2; // V1 and the container
    private static final byte HOST_V1 = 1;
    private static final byte NAT_V1 = 1;

    private StateSerdes() {
    }

    public static Serde<RowState> rows() {
        Serializer<RowState> ser = (topic, s) -> {
            if (s == null) return null;
            StateWriter out = new StateWriter(256);
            out.writeByte(ROW_V2);
            RowStateHeader.writeBookkeeping(out, s);
            ConnectionCodec.write(s.row, out);
            return out.toByteArray();
        };
        Deserializer<RowState> de = (topic, data) -> {
            if (data == null) return null;
            StateReader in = new StateReader(data);
            byte version = in.readByte();
            if (version != ROW_V1) { // V1 rows read as V2 rows without a container
                checkVersion(version, ROW_V2, "row");
            }
            RowState s = new RowState(null);
            RowStateHeader.readBookkeeping(in, s); // the row follows its bookkeeping
            s.row = ConnectionCodec.read(in);
            return s;
        };
        return Serdes.serdeFrom(ser, de);
    }

    public static Serde<HostState> hosts() {
        Serializer<HostState> ser = (topic, h) -> {
            if (h == null) return null;
            StateWriter out = new StateWriter(64);
            out.writeByte(HOST_V1);
            out.writeLong(h.lastSeen);
            out.writeBoolean(h.lost);
            out.writeLong(h.rootNetns);
            writeNullable(out, h.snapshotId);
            out.writeLong(h.snapshotEpoch);
            out.writeLong(h.snapshotStartSeq);
            return out.toByteArray();
        };
        Deserializer<HostState> de = (topic, data) -> {
            if (data == null) return null;
            StateReader in = new StateReader(data);
            checkVersion(in.readByte(), HOST_V1, "host");
            HostState h = new HostState();
            h.lastSeen = in.readLong();
            h.lost = in.readBoolean();
            h.rootNetns = in.readLong();
            h.snapshotId = readNullable(in);
            h.snapshotEpoch = in.readLong();
            h.snapshotStartSeq = in.readLong();
            return h;
        };
        return Serdes.serdeFrom(ser, de);
    }

    public static Serde<NatEntry> natEntries() {
        AvroBinary<NatEntry> avro = new AvroBinary<>(NatEntry.class);
        Serializer<NatEntry> ser = (topic, n) -> {
            if (n == null) return null;
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
            bytes.write(NAT_V1);
            avro.write(n, bytes);
            return bytes.toByteArray();
        };
        Deserializer<NatEntry> de = (topic, data) -> {
            if (data == null) return null;
            ByteArrayInputStream bytes = new ByteArrayInputStream(data);
            checkVersion((byte) bytes.read(), NAT_V1, "NAT entry");
            return avro.read(bytes);
        };
        return Serdes.serdeFrom(ser, de);
    }

    private static void checkVersion(byte got, byte want, String what) {
        if (got != want) {
            throw new IllegalStateException("unknown " + what + " state format " + got + " (this topology reads " + want
                    + "); was the state written by a newer conntrail?");
        }
    }

    private static void writeNullable(StateWriter out, String s) {
        out.writeBoolean(s != null);
        if (s != null) out.writeUTF(s);
    }

    private static String readNullable(StateReader in) {
        return in.readBoolean() ? in.readUTF() : null;
    }

    /** Raw Avro binary of one generated record class. Shared by every task's store, so no reused encoders. */
    private static final class AvroBinary<T extends SpecificRecord> {
        private final SpecificDatumWriter<T> writer;
        private final SpecificDatumReader<T> reader;

        AvroBinary(Class<T> type) {
            AvroTrust.trustConntrailRecords();
            this.writer = new SpecificDatumWriter<>(type);
            this.reader = new SpecificDatumReader<>(type);
        }

        void write(T value, ByteArrayOutputStream out) {
            try {
                BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
                writer.write(value, encoder);
                encoder.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        T read(ByteArrayInputStream in) {
            try {
                BinaryDecoder decoder = DecoderFactory.get().directBinaryDecoder(in, null);
                return reader.read(null, decoder);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
