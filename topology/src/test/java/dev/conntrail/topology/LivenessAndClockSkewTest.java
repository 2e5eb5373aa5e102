package dev.conntrail.topology;

import static dev.conntrail.topology.TableFixture.A;
import static dev.conntrail.topology.TableFixture.T0;
import static dev.conntrail.topology.TableFixture.sock;
import static dev.conntrail.topology.TableFixture.t;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.topology.TableFixture.Sock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Design rule 5 (convergence), liveness: a host is judged lost only on silence the offsets prove (the task had read
 * its partition through), never on silence the topology caused itself (lag, an unreachable broker, a restart);
 * and design rules 4 and 5 with host clocks minutes ahead of or behind the topology's (W = 10 s).
 */
class LivenessAndClockSkewTest {
    static final Sock B = sock("host-b", "10.0.1.1", 40000, "10.0.0.2", 80, 51);
    static final Duration SKEW = Duration.ofMinutes(5);

    TableFixture f = new TableFixture(T0);

    @AfterEach
    void close() {
        f.close();
    }

    void seconds(int n, Runnable each) {
        for (int i = 0; i < n; i++) {
            f.advance(Duration.ofSeconds(1));
            each.run();
        }
    }

    Instant wall() {
        return f.wall;
    }

    // ---- silence the topology caused itself -----------------------------------------------------

    @Test
    void noHostIsJudgedLostWhileTheOffsetsCannotBeReadAndSilenceCountsFromWhenTheyCanAgain() {
        FakeInputs inputs = f.observeInputs();
        f.connect(A, t(0));
        inputs.brokerDown = true;
        seconds(60, () -> { });
        assertThat(f.row(A).getState()).as("a minute of broker outage proves nothing").isEqualTo(ConnectionState.OPEN);
        inputs.brokerDown = false;
        seconds(29, () -> { });
        assertThat(f.row(A).getState()).as("29 s since the offsets were read again").isEqualTo(ConnectionState.OPEN);
        seconds(3, () -> { });
        assertThat(f.row(A).getCloseReason()).as("3 W of proven silence").isEqualTo(CloseReason.HOST_LOST);
        assertThat(f.row(A).getClosedAt()).as("closed at the time of judgement").isAfter(t(89_000));
    }

    @Test
    void aSteadyLagDelaysTheJudgementByTheLagAndNoMore() {
        FakeInputs inputs = f.observeInputs();
        f.connect(A, t(0));
        f.heartbeat("host-b", t(0));
        inputs.backlog = 5; // five records appended and not yet processed, all the time: about five seconds behind
        seconds(33, () -> f.heartbeat("host-b", wall()));
        assertThat(f.row(A).getState()).as("3 W + 3 s: the proof is 5 s old").isEqualTo(ConnectionState.OPEN);
        seconds(5, () -> f.heartbeat("host-b", wall()));
        assertThat(f.row(A).getCloseReason()).isEqualTo(CloseReason.HOST_LOST);
        assertThat(f.row(B)).isNull();
    }

    @Test
    void aRestartedTopologyJudgesOnlyOnSilenceItObservedItself() {
        f.observeInputs();
        f.connect(A, t(0));
        f.connect(B, t(0));
        seconds(25, () -> f.heartbeat("host-b", wall()));
        // the topology is down for 40 s; host-a died before, host-b kept sending (its backlog is read at the restart)
        Instant down = wall();
        f = f.restartedAfter(Duration.ofSeconds(40));
        for (int i = 1; i <= 40; i++) f.heartbeat("host-b", down.plusSeconds(i));
        seconds(29, () -> f.heartbeat("host-b", wall()));
        assertThat(f.row(A).getState()).as("29 s after the restart: no proof of 3 W yet").isEqualTo(ConnectionState.OPEN);
        seconds(3, () -> f.heartbeat("host-b", wall()));
        assertThat(f.row(A).getCloseReason()).isEqualTo(CloseReason.HOST_LOST);
        assertThat(f.row(B).getState()).isEqualTo(ConnectionState.OPEN);
    }

    // ---- host clocks ahead ------------------------------------------------------------------------

    @Test
    void aCloseTimedMinutesAheadIsTombstonedByTheTopologysClockAndKeepsItsTime() {
        Instant ahead = T0.plus(SKEW);
        f.connect(A, ahead);
        f.close(A, ahead.plusMillis(200)); // applied at wall 20:00:03; counts as 20:00:04 -> +W -> boundary 20:00:20
        assertThat(f.row(A).getClosedAt()).as("the row keeps the host's time").isEqualTo(ahead.plusMillis(200));
        f.advance(Duration.ofMillis(16_900)); // 20:00:19.9
        assertThat(f.table()).containsKey(A.id());
        f.advance(Duration.ofMillis(200)); // 20:00:20.1
        assertThat(f.table()).as("not five minutes later").doesNotContainKey(A.id());
        assertThat(f.metrics.count("conntrail.topology.clock.ahead")).isEqualTo(1);
    }

    @Test
    void aSnapshotEndTimedMinutesAheadClosesUnconfirmedRowsWithATombstoneByTheTopologysClock() {
        f.connect(A, t(0));
        f.send(f.snapshot(B, "s", T0.plus(SKEW)));
        f.snapshotEnd("host-a", "s", T0.plus(SKEW));
        assertThat(f.row(A).getCloseReason()).isEqualTo(CloseReason.NOT_IN_SNAPSHOT);
        f.advance(Duration.ofMillis(17_100));
        assertThat(f.table()).doesNotContainKey(A.id());
    }

    @Test
    void aHostClockAheadCannotMakeALaggingTaskLookCaughtUp() {
        // the old rule called a task caught up when its last record's time was within W of the wall clock: a host
        // ahead made a restarted task reading its backlog judge every host whose records were still in it
        FakeInputs inputs = f.observeInputs();
        f.connect(B, t(0));
        inputs.backlog = 1000;
        seconds(40, () -> f.heartbeat("host-a", wall().plus(SKEW)));
        assertThat(f.row(B).getState()).isEqualTo(ConnectionState.OPEN);
    }

    // ---- host clocks behind -----------------------------------------------------------------------

    @Test
    void aHostClockBehindCannotKeepOtherHostsFromBeingJudged() {
        // the old rule: host-a's records, minutes old by their time and never missing for a window, kept the
        // task "not caught up" for good, so silent host-b was never found
        f.observeInputs();
        f.connect(B, t(0));
        seconds(31, () -> f.heartbeat("host-a", wall().minus(SKEW)));
        assertThat(f.row(B).getCloseReason()).isEqualTo(CloseReason.HOST_LOST);
    }

    @Test
    void aCloseTimedMinutesBehindIsKeptForAWholeWindowAfterItWasApplied() {
        Instant behind = T0.minus(SKEW);
        f.connect(A, behind);
        f.close(A, behind.plusMillis(200)); // applied at 20:00:03 -> +W -> boundary 20:00:20, not at once
        f.advance(Duration.ofMillis(16_900));
        assertThat(f.table()).containsKey(A.id());
        f.advance(Duration.ofMillis(200));
        assertThat(f.table()).doesNotContainKey(A.id());
        assertThat(f.metrics.count("conntrail.topology.clock.ahead")).isZero();
    }
}
