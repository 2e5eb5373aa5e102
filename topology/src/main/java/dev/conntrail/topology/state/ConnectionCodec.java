package dev.conntrail.topology.state;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatInfo;
import dev.conntrail.avro.Source;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Instant;

/**
 * A {@link Connection} in the rows store, hand-written: Avro's generic writer resolved every
 * nullable field's union by schema name and cost a sixth of the stream thread (profiled, see
 * BENCHMARKS.md). Field presence is one bit each; enums are written by name, so symbols added
 * to the schema later do not shift stored values. A new Connection field needs a new state version.
 */
final class ConnectionCodec {
    private ConnectionCodec() {
    }

    static void write(Connection c, DataOutputStream out) throws IOException {
        Object[] fields = {c.getNetns(), c.getFamily(), c.getLaddr(), c.getLport(), c.getRaddr(), c.getRport(), c.getCookie(),
                c.getDirection(), c.getPid(), c.getComm(), c.getUid(), c.getCgroupId(), c.getCloseReason(), c.getOpenedAt(),
                c.getClosedAt(), c.getSource(), c.getNat()};
        int present = 0;
        for (int i = 0; i < fields.length; i++) {
            if (fields[i] != null) present |= 1 << i;
        }
        out.writeInt(present);
        out.writeUTF(c.getHost());
        out.writeUTF(c.getState().name());
        out.writeLong(c.getUpdatedAt().toEpochMilli());
        for (Object f : fields) {
            if (f == null) continue;
            if (f instanceof Long l) {
                out.writeLong(l);
            } else if (f instanceof Integer i) {
                out.writeInt(i);
            } else if (f instanceof String s) {
                out.writeUTF(s);
            } else if (f instanceof Enum<?> e) {
                out.writeUTF(e.name());
            } else if (f instanceof Instant t) {
                out.writeLong(t.toEpochMilli());
            } else if (f instanceof NatInfo n) {
                out.writeBoolean(n.getNetns() != null);
                if (n.getNetns() != null) out.writeLong(n.getNetns());
                out.writeUTF(n.getOrigSrc());
                out.writeInt(n.getOrigSport());
                out.writeUTF(n.getOrigDst());
                out.writeInt(n.getOrigDport());
                out.writeUTF(n.getReplySrc());
                out.writeInt(n.getReplySport());
                out.writeUTF(n.getReplyDst());
                out.writeInt(n.getReplyDport());
            }
        }
    }

    static Connection read(DataInputStream in) throws IOException {
        int p = in.readInt();
        Connection c = new Connection();
        c.setHost(in.readUTF());
        c.setState(ConnectionState.valueOf(in.readUTF()));
        c.setUpdatedAt(Instant.ofEpochMilli(in.readLong()));
        if (has(p, 0)) c.setNetns(in.readLong());
        if (has(p, 1)) c.setFamily(Family.valueOf(in.readUTF()));
        if (has(p, 2)) c.setLaddr(in.readUTF());
        if (has(p, 3)) c.setLport(in.readInt());
        if (has(p, 4)) c.setRaddr(in.readUTF());
        if (has(p, 5)) c.setRport(in.readInt());
        if (has(p, 6)) c.setCookie(in.readLong());
        if (has(p, 7)) c.setDirection(Direction.valueOf(in.readUTF()));
        if (has(p, 8)) c.setPid(in.readInt());
        if (has(p, 9)) c.setComm(in.readUTF());
        if (has(p, 10)) c.setUid(in.readLong());
        if (has(p, 11)) c.setCgroupId(in.readLong());
        if (has(p, 12)) c.setCloseReason(CloseReason.valueOf(in.readUTF()));
        if (has(p, 13)) c.setOpenedAt(Instant.ofEpochMilli(in.readLong()));
        if (has(p, 14)) c.setClosedAt(Instant.ofEpochMilli(in.readLong()));
        if (has(p, 15)) c.setSource(Source.valueOf(in.readUTF()));
        if (has(p, 16)) {
            NatInfo n = new NatInfo();
            if (in.readBoolean()) n.setNetns(in.readLong());
            n.setOrigSrc(in.readUTF());
            n.setOrigSport(in.readInt());
            n.setOrigDst(in.readUTF());
            n.setOrigDport(in.readInt());
            n.setReplySrc(in.readUTF());
            n.setReplySport(in.readInt());
            n.setReplyDst(in.readUTF());
            n.setReplyDport(in.readInt());
            c.setNat(n);
        }
        return c;
    }

    private static boolean has(int present, int bit) {
        return (present & (1 << bit)) != 0;
    }
}
