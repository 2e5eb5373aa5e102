package dev.conntrail.producer.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpCounters;
import dev.conntrail.avro.TcpEvent;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class CountersRefreshTest {
    private final CountersRefresh refresh = new CountersRefresh();

    @Test
    void onlySocketsWhoseCountersMovedSinceTheLastPublishedAreSentAgain() {
        TcpEvent idle = record(40000, 100);
        TcpEvent busy = record(40001, 100);
        refresh.published(List.of(idle, busy));

        TcpEvent busyLater = record(40001, 5000);
        TcpEvent fresh = record(40002, 10); // opened since the snapshot
        assertThat(refresh.changed(List.of(record(40000, 100), busyLater, fresh))).containsExactly(busyLater, fresh);
        assertThat(refresh.changed(List.of(record(40000, 100), record(40001, 5000), record(40002, 10)))).isEmpty();
    }

    @Test
    void recordsWithoutCountersAreNeverSentAndGoneSocketsAreForgotten() {
        TcpEvent noCounters = record(40000, 0);
        noCounters.setCounters(null);
        assertThat(refresh.changed(List.of(noCounters, record(40001, 7)))).singleElement()
                .satisfies(r -> assertThat(r.getLport()).isEqualTo(40001));
        refresh.changed(List.of()); // 40001 closed
        assertThat(refresh.changed(List.of(record(40001, 7)))).as("a reused id is new again").hasSize(1);
    }

    private static TcpEvent record(int lport, long bytesAcked) {
        return TcpEvent.newBuilder().setHost("h").setAgentEpoch(1).setSeq(0).setType(EventType.SNAPSHOT).setTimestamp(Instant.EPOCH)
                .setNetns(4026531840L).setFamily(Family.IPV4).setLaddr("10.0.0.1").setLport(lport).setRaddr("10.0.0.2").setRport(80)
                .setCookie((long) lport).setSource(Source.SNAPSHOT).setSnapshotId("s")
                .setCounters(new TcpCounters(bytesAcked, 1L, 0L, 3L, 3L, 0L, 50L)).build();
    }
}
