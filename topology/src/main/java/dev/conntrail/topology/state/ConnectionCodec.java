package dev.conntrail.topology.state;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatInfo;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpCounters;
import java.time.Instant;

/**
 * A {@link Connection} in the rows store, hand-written: Avro's generic writer resolved every
 * nullable field's union by schema name and cost a sixth of the stream thread (profiled, see
 * BENCHMARKS.md). Field presence is one bit each; enums are written by name, so symbols added
 * to the schema later do not shift stored values. A new optional Connection field goes last, behind a new
 * presence bit: rows written before it lack the bit and stay readable. A reader of an older state version refuses
 * the state instead of dropping the field, so a new field also means a new state version.
 */
final class ConnectionCodec {
    private ConnectionCodec() {
    }

    static void write(Connection c, StateWriter out) {
        NatInfo nat = c.getNat();
        int present = bit(c.getNetns(), 0) | bit(c.getFamily(), 1) | bit(c.getLaddr(), 2) | bit(c.getLport(), 3)
                | bit(c.getRaddr(), 4) | bit(c.getRport(), 5) | bit(c.getCookie(), 6) | bit(c.getDirection(), 7)
                | bit(c.getPid(), 8) | bit(c.getComm(), 9) | bit(c.getUid(), 10) | bit(c.getCgroupId(), 11)
                | bit(c.getCloseReason(), 12) | bit(c.getOpenedAt(), 13) | bit(c.getClosedAt(), 14) | bit(c.getSource(), 15)
                | bit(nat, 16) | bit(c.getContainer(), 17) | bit(c.getCounters(), 18);
        out.writeInt(present);
        out.writeUTF(c.getHost());
        out.writeUTF(c.getState().name());
        out.writeLong(c.getUpdatedAt().toEpochMilli());
        if (c.getNetns() != null) out.writeLong(c.getNetns());
        if (c.getFamily() != null) out.writeUTF(c.getFamily().name());
        if (c.getLaddr() != null) out.writeUTF(c.getLaddr());
        if (c.getLport() != null) out.writeInt(c.getLport());
        if (c.getRaddr() != null) out.writeUTF(c.getRaddr());
        if (c.getRport() != null) out.writeInt(c.getRport());
        if (c.getCookie() != null) out.writeLong(c.getCookie());
        if (c.getDirection() != null) out.writeUTF(c.getDirection().name());
        if (c.getPid() != null) out.writeInt(c.getPid());
        if (c.getComm() != null) out.writeUTF(c.getComm());
        if (c.getUid() != null) out.writeLong(c.getUid());
        if (c.getCgroupId() != null) out.writeLong(c.getCgroupId());
        if (c.getCloseReason() != null) out.writeUTF(c.getCloseReason().name());
        if (c.getOpenedAt() != null) out.writeLong(c.getOpenedAt().toEpochMilli());
        if (c.getClosedAt() != null) out.writeLong(c.getClosedAt().toEpochMilli());
        if (c.getSource() != null) out.writeUTF(c.getSource().name());
        if (nat != null) {
            out.writeBoolean(nat.getNetns() != null);
            if (nat.getNetns() != null) out.writeLong(nat.getNetns());
            out.writeUTF(nat.getOrigSrc());
            out.writeInt(nat.getOrigSport());
            out.writeUTF(nat.getOrigDst());
            out.writeInt(nat.getOrigDport());
            out.writeUTF(nat.getReplySrc());
            out.writeInt(nat.getReplySport());
            out.writeUTF(nat.getReplyDst());
            out.writeInt(nat.getReplyDport());
        }
        if (c.getContainer() != null) out.writeUTF(c.getContainer()); // since state version 2
        TcpCounters k = c.getCounters();
        if (k != null) {
            out.writeLong(k.getBytesAcked());
            out.writeLong(k.getBytesReceived());
            out.writeLong(k.getBytesRetrans());
            out.writeLong(k.getSegsOut());
            out.writeLong(k.getSegsIn());
            out.writeLong(k.getTotalRetrans());
            out.writeLong(k.getSrttUs());
        }
    }

    private static int bit(Object field, int bit) {
        return field == null ? 0 : 1 << bit;
    }

    static Connection read(StateReader in) {
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
        if (has(p, 17)) c.setContainer(in.readUTF());
        if (has(p, 18)) {
            c.setCounters(new TcpCounters(in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong(),
                    in.readLong()));
        }
        return c;
    }

    private static boolean has(int present, int bit) {
        return (present & (1 << bit)) != 0;
    }
}
