package dev.conntrail.topology.state;

/**
 * The part of a {@link RowState} that is not in the published {@code Connection}: which snapshot
 * confirmed the row, the (agentEpoch, seq) that last opened or refreshed it, when its close was
 * applied and when its tombstone is due. In-memory mode sends it in a Kafka record header of every
 * row change on {@code connections} (readers ignore headers), so the topic alone rebuilds the
 * rows; the same bytes are the values of the {@code row-marks} store. Compact binary behind a
 * version byte, in the {@link StateWriter} format.
 */
public final class RowStateHeader {
    /** The header of every row change the topology writes (tombstones carry none). */
    public static final String NAME = "conntrail-row-state";
    private static final byte V1 = 1;

    private RowStateHeader() {
    }

    public static byte[] encode(RowState s) {
        StateWriter out = new StateWriter(48);
        out.writeByte(V1);
        writeBookkeeping(out, s);
        return out.toByteArray();
    }

    /** The bookkeeping fields, in the layout this header and the RocksDB rows store's values share. */
    static void writeBookkeeping(StateWriter out, RowState s) {
        out.writeLong(s.epoch);
        out.writeLong(s.seq);
        out.writeLong(s.closeAppliedAt);
        out.writeLong(s.tombstoneAt);
        out.writeBoolean(s.confirmedBy != null);
        if (s.confirmedBy != null) out.writeUTF(s.confirmedBy);
    }

    static void readBookkeeping(StateReader in, RowState into) {
        into.epoch = in.readLong();
        into.seq = in.readLong();
        into.closeAppliedAt = in.readLong();
        into.tombstoneAt = in.readLong();
        into.confirmedBy = in.readBoolean() ? in.readUTF() : null;
    }

    /** Sets the bookkeeping fields of {@code into} from {@code bytes} (its row is left alone). */
    public static void decodeInto(byte[] bytes, RowState into) {
        StateReader in = new StateReader(bytes);
        byte version = in.readByte();
        if (version != V1) {
            throw new IllegalStateException("unknown " + NAME + " format " + version + " (this topology reads " + V1
                    + "); was the row written by a newer conntrail?");
        }
        readBookkeeping(in, into);
    }
}
