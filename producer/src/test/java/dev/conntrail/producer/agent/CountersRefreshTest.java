package dev.conntrail.producer.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpCounters;
import dev.conntrail.avro.TcpEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CountersRefreshTest {
    private final CountersRefresh refresh = new CountersRefresh();

    /** One pass through the refresh: the records it would publish again. */
    private List<TcpEvent> pass(TcpEvent... records) {
        refresh.begin();
        List<TcpEvent> changed = new ArrayList<>();
        for (TcpEvent r : records) {
            if (refresh.changed(r)) {
                changed.add(r);
            }
        }
        refresh.end();
        return changed;
    }

    @Test
    void onlySocketsWhoseCountersMovedSinceTheLastPublishedAreSentAgain() {
        pass(record(40000, 100), record(40001, 100)); // the snapshot

        TcpEvent busyLater = record(40001, 5000);
        TcpEvent fresh = record(40002, 10); // opened since the snapshot
        assertThat(pass(record(40000, 100), busyLater, fresh)).containsExactly(busyLater, fresh);
        assertThat(pass(record(40000, 100), record(40001, 5000), record(40002, 10))).isEmpty();
    }

    @Test
    void anyOneCounterMovingIsAChange() {
        pass(record(40000, 100));
        TcpEvent retransmitted = record(40000, 100);
        retransmitted.getCounters().setTotalRetrans(1L);
        assertThat(pass(retransmitted)).containsExactly(retransmitted);
        TcpEvent slower = record(40000, 100);
        slower.getCounters().setTotalRetrans(1L);
        slower.getCounters().setSrttUs(51L);
        assertThat(pass(slower)).containsExactly(slower);
    }

    @Test
    void recordsWithoutCountersAreNeverSentAndGoneSocketsAreForgotten() {
        TcpEvent noCounters = record(40000, 0);
        noCounters.setCounters(null);
        assertThat(pass(noCounters, record(40001, 7))).singleElement()
                .satisfies(r -> assertThat(r.getLport()).isEqualTo(40001));
        pass(); // 40001 closed
        assertThat(pass(record(40001, 7))).as("a reused id is new again").hasSize(1);
    }

    @Test
    void withoutCookiesTheConnectionIdNamesTheSocket() {
        TcpEvent a = record(40000, 100);
        TcpEvent b = record(40001, 100);
        a.setCookie(null);
        b.setCookie(null);
        pass(a, b);
        TcpEvent bLater = record(40001, 200);
        bLater.setCookie(null);
        TcpEvent aSame = record(40000, 100);
        aSame.setCookie(null);
        assertThat(pass(aSame, bLater)).containsExactly(bLater);
    }

    @Test
    void aPassThatDidNotEndLeavesWhatWasPublished() {
        pass(record(40000, 100));
        refresh.begin();
        assertThat(refresh.changed(record(40000, 900))).isTrue(); // the pass fails before its end
        assertThat(pass(record(40000, 900))).as("compared with the last whole pass").hasSize(1);
    }

    private static TcpEvent record(int lport, long bytesAcked) {
        return TcpEvent.newBuilder().setHost("h").setAgentEpoch(1).setSeq(0).setType(EventType.SNAPSHOT).setTimestamp(Instant.EPOCH)
                .setNetns(4026531840L).setFamily(Family.IPV4).setLaddr("10.0.0.1").setLport(lport).setRaddr("10.0.0.2").setRport(80)
                .setCookie((long) lport).setSource(Source.SNAPSHOT).setSnapshotId("s")
                .setCounters(new TcpCounters(bytesAcked, 1L, 0L, 3L, 3L, 0L, 50L)).build();
    }
}
