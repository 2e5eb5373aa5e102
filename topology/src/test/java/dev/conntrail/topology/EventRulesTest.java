package dev.conntrail.topology;

import static dev.conntrail.topology.TaskParts.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.TcpCounters;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.topology.errors.InputRejectedException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link EventRules}: what each tcp-events record does to the rows and the row counts (design rule 5). */
class EventRulesTest {
    private final TaskParts task = new TaskParts();

    @Test
    void connectOpensACountedRowAndCloseMovesItToClosed() {
        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0));
        assertThat(task.published()).singleElement().satisfies(r -> assertThat(r.value().getState()).isEqualTo(ConnectionState.OPEN));
        assertThat(task.counts.openRows()).isEqualTo(1);
        assertThat(task.metrics.openRows.get()).isEqualTo(1);

        task.send(task.event(EventType.CLOSE, "host-a", 40000, T0.plusMillis(5)));
        assertThat(task.published()).singleElement().satisfies(r -> {
            assertThat(r.value().getState()).isEqualTo(ConnectionState.CLOSED);
            assertThat(r.value().getCloseReason()).isEqualTo(CloseReason.CLOSED);
            assertThat(r.value().getPid()).as("CLOSE carries no pid: the CONNECT's stays").isEqualTo(4242);
        });
        assertThat(task.counts.openRows()).isZero();
        assertThat(task.counts.closedRows()).isEqualTo(1);
        assertThat(task.metrics.closedRows.get()).isEqualTo(1);
    }

    @Test
    void theClosedRowCarriesTheCloseEventsCounters() {
        TcpCounters counters = new TcpCounters(1_000_002L, 2L, 0L, 40L, 30L, 0L, 57L);
        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0));
        task.published();

        TcpEvent close = task.event(EventType.CLOSE, "host-a", 40000, T0.plusMillis(5));
        close.setCounters(counters);
        task.send(close);

        assertThat(task.published()).singleElement().satisfies(r -> assertThat(r.value().getCounters()).isEqualTo(counters));
    }

    @Test
    void aCloseWithoutCountersKeepsTheRowsLastOnes() {
        TcpCounters refreshed = new TcpCounters(500L, 2L, 0L, 10L, 8L, 0L, 60L);
        TcpEvent snapshot = task.event(EventType.SNAPSHOT, "host-a", 40000, T0);
        snapshot.setSnapshotId("s1");
        snapshot.setDirection(dev.conntrail.avro.Direction.OUTGOING);
        snapshot.setCounters(refreshed);
        task.send(snapshot);
        assertThat(task.published()).singleElement().satisfies(r -> assertThat(r.value().getCounters()).isEqualTo(refreshed));

        task.send(task.event(EventType.CLOSE, "host-a", 40000, T0.plusMillis(5))); // e.g. the classic tracepoint on an old kernel

        assertThat(task.published()).singleElement().satisfies(r -> {
            assertThat(r.value().getState()).isEqualTo(ConnectionState.CLOSED);
            assertThat(r.value().getCounters()).isEqualTo(refreshed);
        });
    }

    @Test
    void aCloseOfAnUnknownSocketIsARowThatArrivesClosed() {
        task.send(task.event(EventType.CLOSE, "host-a", 40000, T0));

        assertThat(task.published()).singleElement().satisfies(r -> assertThat(r.value().getState()).isEqualTo(ConnectionState.CLOSED));
        assertThat(task.counts.openRows()).isZero();
        assertThat(task.counts.closedRows()).isEqualTo(1);
        assertThat(task.expiry.scheduled()).as("its tombstone is scheduled").isEqualTo(1);
    }

    @Test
    void aConnectAfterTheCloseIsANewLifecycleThatReplacesTheClosedRow() {
        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0));
        task.send(task.event(EventType.CLOSE, "host-a", 40000, T0.plusMillis(5)));
        task.published();

        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0.plusMillis(10)));

        assertThat(task.published()).singleElement().satisfies(r -> {
            assertThat(r.value().getState()).isEqualTo(ConnectionState.OPEN);
            assertThat(r.value().getClosedAt()).isNull();
        });
        assertThat(task.counts.openRows()).isEqualTo(1);
        assertThat(task.counts.closedRows()).isZero();
    }

    @Test
    void aConnectOlderThanTheCloseChangesNothing() {
        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0));
        task.send(task.event(EventType.CLOSE, "host-a", 40000, T0.plusMillis(5)));
        task.published();

        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0.plusMillis(1)));

        assertThat(task.published()).isEmpty();
        assertThat(task.counts.closedRows()).isEqualTo(1);
    }

    @Test
    void aDuplicateConnectPublishesNothing() {
        TcpEvent connect = task.event(EventType.CONNECT, "host-a", 40000, T0);
        task.send(connect);
        task.published();
        task.advance(Duration.ofMillis(50));

        task.send(connect);

        assertThat(task.published()).isEmpty();
        assertThat(task.counts.openRows()).isEqualTo(1);
    }

    @Test
    void aSnapshotEndClosesTheOpenRowsItDidNotConfirm() {
        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0));
        task.send(task.event(EventType.CONNECT, "host-a", 40001, T0));
        TcpEvent confirmed = task.event(EventType.SNAPSHOT, "host-a", 40001, T0.plusMillis(10));
        confirmed.setSnapshotId("s1");
        confirmed.setSource(dev.conntrail.avro.Source.SNAPSHOT);
        task.send(confirmed);
        task.published();

        TcpEvent end = TcpEvent.newBuilder().setHost("host-a").setAgentEpoch(task.epoch).setSeq(++task.seq).setType(EventType.SNAPSHOT_END)
                .setTimestamp(T0.plusMillis(20)).setSource(dev.conntrail.avro.Source.EBPF).setSnapshotId("s1").build();
        task.send(end);

        assertThat(task.published()).singleElement().satisfies(r -> {
            assertThat(r.key()).contains("|40000|");
            assertThat(r.value().getCloseReason()).isEqualTo(CloseReason.NOT_IN_SNAPSHOT);
        });
        assertThat(task.counts.openRows()).isEqualTo(1);
        assertThat(task.counts.closedRows()).isEqualTo(1);
    }

    @Test
    void anEventWithoutItsTupleIsRejectedAndChangesNothing() {
        TcpEvent e = task.event(EventType.CONNECT, "host-a", 40000, T0);
        e.setRaddr(null);

        assertThatThrownBy(() -> task.send(e)).isInstanceOf(InputRejectedException.class)
                .hasMessageContaining("without its full tuple");
        assertThat(task.published()).isEmpty();
        assertThat(task.counts.openRows()).isZero();
    }
}
