package dev.conntrail.schemas;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.NatInfo;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.avro.TcpState;
import java.time.Instant;

/** Records with every field set, and with every nullable field null. */
public final class Samples {
    private Samples() {
    }

    /** Microsecond precision, as the schema keeps. */
    public static final Instant T_MICROS = Instant.ofEpochSecond(1_764_190_000L, 123_456_000L);
    public static final Instant T_MILLIS = Instant.ofEpochMilli(1_764_190_000_123L);

    public static TcpEvent fullEvent(EventType type, TcpState state, Direction dir, Source source, Family family) {
        return TcpEvent.newBuilder().setHost("web-1").setAgentEpoch(1_764_189_999_000L).setSeq(42).setType(type)
                .setTimestamp(T_MICROS).setPid(1234).setTid(1235).setComm("curl \"x\"\n").setUid(1000L)
                .setCgroupId(9876543210L).setNetns(4026531840L).setFamily(family)
                .setLaddr(family == Family.IPV6 ? "2001:db8::1" : "10.0.0.1").setLport(40000)
                .setRaddr(family == Family.IPV6 ? "::ffff:10.0.0.2" : "10.0.0.2").setRport(443)
                .setCookie(Long.MAX_VALUE).setDirection(dir).setTcpState(state).setSource(source)
                .setSnapshotId("snap-1").build();
    }

    public static TcpEvent fullEvent() {
        return fullEvent(EventType.CONNECT, TcpState.ESTABLISHED, Direction.OUTGOING, Source.EBPF, Family.IPV4);
    }

    /** Only the required fields. */
    public static TcpEvent heartbeat() {
        return TcpEvent.newBuilder().setHost("web-1").setAgentEpoch(7).setSeq(0).setType(EventType.HEARTBEAT)
                .setTimestamp(T_MICROS).setPid(null).setTid(null).setComm(null).setUid(null).setCgroupId(null)
                .setNetns(null).setFamily(null).setLaddr(null).setLport(null).setRaddr(null).setRport(null)
                .setCookie(null).setDirection(null).setTcpState(null).setSource(Source.EBPF).setSnapshotId(null)
                .build();
    }

    public static NatEntry nat(Family family, Long netns, Long conntrackId) {
        return NatEntry.newBuilder().setHost("web-1").setNetns(netns).setZone(3).setTimestamp(T_MILLIS)
                .setFamily(family).setOrigSrc("10.0.0.1").setOrigSport(40000).setOrigDst("203.0.113.5")
                .setOrigDport(80).setReplySrc("172.17.0.2").setReplySport(8080).setReplyDst("10.0.0.1")
                .setReplyDport(40000).setConntrackId(conntrackId).build();
    }

    public static Connection openConnection() {
        return Connection.newBuilder().setHost("web-1").setNetns(4026531840L).setFamily(Family.IPV6)
                .setLaddr("2001:db8::1").setLport(40000).setRaddr("2001:db8::2").setRport(443).setCookie(77L)
                .setDirection(Direction.OUTGOING).setPid(1).setComm("nginx").setUid(0L).setCgroupId(5L)
                .setState(ConnectionState.OPEN).setCloseReason(null).setOpenedAt(T_MILLIS).setClosedAt(null)
                .setUpdatedAt(T_MILLIS).setSource(Source.EBPF)
                .setNat(NatInfo.newBuilder().setNetns(null).setOrigSrc("10.0.0.1").setOrigSport(1)
                        .setOrigDst("10.0.0.2").setOrigDport(2).setReplySrc("10.0.0.3").setReplySport(3)
                        .setReplyDst("10.0.0.4").setReplyDport(4).build())
                .build();
    }

    /** A CLOSE for an id with no row: openedAt null, everything unknown null. */
    public static Connection closedUnknown(CloseReason reason) {
        return Connection.newBuilder().setHost("web-2").setNetns(null).setFamily(null).setLaddr(null).setLport(null)
                .setRaddr(null).setRport(null).setCookie(null).setDirection(null).setPid(null).setComm(null)
                .setUid(null).setCgroupId(null).setState(ConnectionState.CLOSED).setCloseReason(reason)
                .setOpenedAt(null).setClosedAt(T_MILLIS).setUpdatedAt(T_MILLIS).setSource(null).setNat(null).build();
    }
}
