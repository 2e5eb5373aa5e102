package dev.conntrail.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatInfo;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpCounters;
import dev.conntrail.topology.state.RowState;
import dev.conntrail.topology.state.StateSerdes;
import java.time.Instant;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class StateSerdesTest {
    final Serde<RowState> serde = StateSerdes.rows();

    RowState roundTrip(RowState s) {
        return serde.deserializer().deserialize("t", serde.serializer().serialize("t", s));
    }

    @Test
    void aFullRowSurvivesTheStateFormat() {
        Connection c = Connection.newBuilder().setHost("h").setNetns(4026531833L).setFamily(Family.IPV6).setLaddr("2001:db8::1").setLport(1)
                .setRaddr("::ffff:10.0.0.1").setRport(2).setCookie(-5L).setDirection(Direction.INCOMING).setPid(7).setComm("nginx")
                .setUid(0L).setCgroupId(99L).setState(ConnectionState.CLOSED).setCloseReason(CloseReason.HOST_LOST)
                .setOpenedAt(Instant.ofEpochMilli(1)).setClosedAt(Instant.ofEpochMilli(2)).setUpdatedAt(Instant.ofEpochMilli(3))
                .setSource(Source.PROC_POLL).setNat(NatInfo.newBuilder().setNetns(null).setOrigSrc("a").setOrigSport(1).setOrigDst("b")
                        .setOrigDport(2).setReplySrc("c").setReplySport(3).setReplyDst("d").setReplyDport(4).build())
                .setContainer("4a6c1e0e1b8c")
                .setCounters(new TcpCounters(1_000_002L, 5_000_000_000L, 0L, 700L, 350L, 0L, 42L))
                .build();
        RowState s = new RowState(c);
        s.confirmedBy = "snap";
        s.epoch = 3;
        s.seq = 4;
        s.closeAppliedAt = 5;
        s.tombstoneAt = 6;
        RowState back = roundTrip(s);
        assertThat(back.row).isEqualTo(c);
        assertThat(back.confirmedBy).isEqualTo("snap");
        assertThat(new long[] {back.epoch, back.seq, back.closeAppliedAt, back.tombstoneAt}).containsExactly(3, 4, 5, 6);
    }

    @Test
    void aRowWithEveryOptionalFieldUnknownSurvivesToo() {
        Connection c = Connection.newBuilder().setHost("h").setNetns(null).setFamily(null).setLaddr(null).setLport(null).setRaddr(null)
                .setRport(null).setCookie(null).setDirection(null).setPid(null).setComm(null).setUid(null).setCgroupId(null)
                .setState(ConnectionState.OPEN).setCloseReason(null).setOpenedAt(null).setClosedAt(null)
                .setUpdatedAt(Instant.ofEpochMilli(3)).setSource(null).setNat(null).setContainer(null).setCounters(null).build();
        assertThat(roundTrip(new RowState(c)).row).isEqualTo(c);
    }

    @Test
    void aRowStoredInTheFormatBeforeContainersStillReadsAndANewerFormatIsRefused() {
        Connection c = Connection.newBuilder().setHost("h").setState(ConnectionState.OPEN).setPid(7).setComm("curl")
                .setUpdatedAt(Instant.ofEpochMilli(3)).build();
        byte[] bytes = serde.serializer().serialize("t", new RowState(c));
        assertThat(bytes[0]).as("format version").isEqualTo((byte) 2);
        bytes[0] = 1; // version 1 is version 2 without the container's presence bit: a row without one is the same bytes
        assertThat(serde.deserializer().deserialize("t", bytes).row).isEqualTo(c);
        bytes[0] = 3;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> serde.deserializer().deserialize("t", bytes))
                .hasMessageContaining("unknown row state format 3");
    }
}
