package dev.conntrail.topology;

import static dev.conntrail.topology.TableFixture.A;
import static dev.conntrail.topology.TableFixture.T0;
import static dev.conntrail.topology.TableFixture.natEntry;
import static dev.conntrail.topology.TableFixture.sock;
import static dev.conntrail.topology.TableFixture.t;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.EventType;
import dev.conntrail.topology.TableFixture.Sock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A topology restart in in-memory mode: the rows are rebuilt from what was published to
 * {@code connections} (row + bookkeeping header) and the {@code row-marks} store. In TTD the
 * topic is replayed by {@link ReplayRowsRestorer}; ConnectionTopologyIntegrationTest does the same
 * on a real broker with a SIGKILL.
 */
class TopologyRestartTest {
    static final Sock B = sock("host-a", "10.0.0.1", 40001, "10.0.0.2", 80, 12);

    TableFixture f = new TableFixture(T0);

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void aCloseAfterARestartClosesTheRowOpenedBeforeItAndKeepsItsOpenFields() {
        f.connect(A, t(0));
        f = f.restarted();
        assertThat(f.metrics.count("conntrail.topology.rows.restored")).isEqualTo(1);
        f.close(A, t(500));
        Connection row = f.row(A);
        assertThat(row.getState()).isEqualTo(ConnectionState.CLOSED);
        assertThat(row.getCloseReason()).isEqualTo(CloseReason.CLOSED);
        assertThat(row.getOpenedAt()).as("from the row before the restart").isEqualTo(t(0));
        assertThat(row.getPid()).isEqualTo(4242);
        assertThat(row.getComm()).isEqualTo("curl");
        assertThat(f.metrics.count("conntrail.topology.rows.restored.without.header")).isZero();
    }

    @Test
    void aRowClosedBeforeARestartIsStillTombstonedAtItsBoundary() {
        f.connect(A, t(0));
        f.close(A, t(500)); // applied at wall 20:00:03 -> due at the boundary 20:00:20
        f = f.restarted();
        f.advance(Duration.ofSeconds(16)); // 20:00:19
        assertThat(f.table()).containsKey(A.id());
        f.advance(Duration.ofMillis(1100)); // 20:00:20.1
        assertThat(f.table()).doesNotContainKey(A.id());
        assertThat(f.changes()).extracting(kv -> kv.value == null ? "TOMBSTONE" : kv.value.getState().name())
                .containsExactly("OPEN", "CLOSED", "TOMBSTONE");
        f = f.restarted();
        f.close(A, t(600));
        assertThat(f.row(A).getOpenedAt()).as("a tombstoned row is gone after a restart too: a late CLOSE makes a new row").isNull();
    }

    @Test
    void aSnapshotConfirmationThatPublishedNothingSurvivesARestart() {
        f.connect(A, t(0));
        f.connect(B, t(0));
        f.send(f.snapshot(A, "s1", t(100))); // confirms A: no field changes, nothing published
        assertThat(f.changes()).hasSize(2);
        f = f.restarted();
        f.snapshotEnd("host-a", "s1", t(200));
        assertThat(f.row(A).getState()).as("confirmed before the restart").isEqualTo(ConnectionState.OPEN);
        assertThat(f.row(B).getCloseReason()).isEqualTo(CloseReason.NOT_IN_SNAPSHOT);
        // the confirmation is carried by A's next change now, so a second restart still knows it
        f.close(A, t(300));
        f = f.restarted();
        assertThat(f.row(A).getState()).isEqualTo(ConnectionState.CLOSED);
    }

    @Test
    void aDuplicateAfterARestartStillPublishesNothing() {
        f.connect(A, t(0));
        f = f.restarted();
        f.send(f.event(EventType.CONNECT, A, t(0)));
        assertThat(f.changes()).hasSize(1);
    }

    @Test
    void aRestartedRowKeepsItsNatAndANatEntryArrivingAfterTheRestartFindsTheRow() {
        f.sendNat(natEntry("host-a", 4026531833L, "10.0.0.1", 40000, "10.0.0.2", 80, "10.9.9.9", 80, "10.0.0.1", 40000, t(0)));
        f.connect(A, t(0));
        f.connect(B, t(0));
        f = f.restarted();
        f.sendNat(natEntry("host-a", 4026531833L, "10.0.0.1", 40001, "10.0.0.2", 80, "10.9.9.8", 80, "10.0.0.1", 40001, t(10)));
        assertThat(f.row(B).getNat().getReplySrc()).as("the tuple index was rebuilt").isEqualTo("10.9.9.8");
        f.close(A, t(20));
        assertThat(f.row(A).getNat().getReplySrc()).isEqualTo("10.9.9.9");
    }

    @Test
    void everyRowChangeCarriesItsBookkeepingAndTombstonesNone() {
        f.connect(A, t(0));
        f.close(A, t(5));
        f.advance(Duration.ofSeconds(20));
        f.table();
        assertThat(f.published).hasSize(3);
        assertThat(f.published.subList(0, 2)).allSatisfy(r -> assertThat(r.headers().lastHeader("conntrail-row-state")).isNotNull());
        assertThat(f.published.get(2).value()).isNull();
        assertThat(f.published.get(2).headers().toArray()).isEmpty();
    }

    @Test
    void aHostWhoseRecordsArriveInAnotherHostsPartitionIsDeadLettered() {
        f.close();
        // 6 input partitions; the TTD task is partition 0: find one host of partition 0 and one of another
        String home = null;
        String stranger = null;
        for (int i = 0; home == null || stranger == null; i++) {
            String h = "host-" + i;
            if (dev.conntrail.schemas.HostPartitioner.partitionFor(h, 6) == 0) home = home == null ? h : home;
            else stranger = stranger == null ? h : stranger;
        }
        f = new TableFixture(T0, TopologySettings.defaults(TableFixture.W).withInputPartitions(6));
        Sock mine = sock(home, "10.0.0.1", 1, "10.0.0.2", 2, 1);
        Sock theirs = sock(stranger, "10.0.0.1", 1, "10.0.0.2", 2, 1);
        f.connect(theirs, t(0));
        f.connect(mine, t(0));
        assertThat(f.table()).containsOnlyKeys(mine.id());
        var dead = f.dlq.readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(new String(dead.get(0).key(), StandardCharsets.UTF_8)).isEqualTo(theirs.id());
        assertThat(f.metrics.count("conntrail.topology.input.ignored", "why", "wrong-partition")).isEqualTo(1);
    }
}
