package dev.conntrail.testkit;

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

/** Records for the integration tests: every field set, or only the required ones. */
final class SampleEvents {
    static final Instant MICROS = Instant.ofEpochSecond(1_764_190_000L, 123_456_000L);
    static final Instant MILLIS = Instant.ofEpochMilli(1_764_190_000_123L);

    private SampleEvents() {
    }

    static TcpEvent event(String host, long seq) {
        return TcpEvent.newBuilder().setHost(host).setAgentEpoch(1_764_189_999_000L).setSeq(seq)
                .setType(EventType.CONNECT).setTimestamp(MICROS).setPid(1234).setTid(1235).setComm("curl")
                .setUid(1000L).setCgroupId(42L).setNetns(4026531840L).setFamily(Family.IPV6).setLaddr("2001:db8::1")
                .setLport(40000).setRaddr("::ffff:10.0.0.2").setRport(443).setCookie(99L)
                .setDirection(Direction.OUTGOING).setTcpState(TcpState.ESTABLISHED).setSource(Source.EBPF)
                .setSnapshotId(null).build();
    }

    static NatEntry nat(String host) {
        return NatEntry.newBuilder().setHost(host).setNetns(null).setZone(0).setTimestamp(MILLIS)
                .setFamily(Family.IPV4).setOrigSrc("10.0.0.1").setOrigSport(40000).setOrigDst("203.0.113.5")
                .setOrigDport(80).setReplySrc("172.17.0.2").setReplySport(8080).setReplyDst("10.0.0.1")
                .setReplyDport(40000).setConntrackId(7L).build();
    }

    static Connection connection(String host) {
        return Connection.newBuilder().setHost(host).setNetns(1L).setFamily(Family.IPV4).setLaddr("10.0.0.1")
                .setLport(1).setRaddr("10.0.0.2").setRport(2).setCookie(null).setDirection(Direction.INCOMING)
                .setPid(null).setComm(null).setUid(0L).setCgroupId(null).setState(ConnectionState.CLOSED)
                .setCloseReason(CloseReason.NOT_IN_SNAPSHOT).setOpenedAt(null).setClosedAt(MILLIS)
                .setUpdatedAt(MILLIS).setSource(Source.SNAPSHOT)
                .setNat(NatInfo.newBuilder().setNetns(5L).setOrigSrc("a").setOrigSport(1).setOrigDst("b")
                        .setOrigDport(2).setReplySrc("c").setReplySport(3).setReplyDst("d").setReplyDport(4).build())
                .build();
    }
}
