package dev.conntrail.producer.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Design rule 5 (convergence): a publish stall longer than the window asks for a resync, once. */
class PublishStallsTest {
    /** What the agent thread does each turn: a stall's wish goes to the loss tracker, which grants one per window. */
    boolean resyncWanted() {
        if (stalls.takeWanted()) loss.requestResync();
        return loss.resyncWanted();
    }

    static final long W = Duration.ofSeconds(2).toNanos();
    final AgentMetrics metrics = new AgentMetrics(new SimpleMeterRegistry());
    final LossTracker loss = new LossTracker(metrics, Duration.ofNanos(W));
    final PublishStalls stalls = new PublishStalls(W, metrics);
    final long t0 = System.nanoTime();

    @Test
    void anAcknowledgementWithinTheWindowAsksForNothing() {
        stalls.sent(t0 + 1);
        stalls.answered(t0 + 1, t0 + W, true);
        assertThat(resyncWanted()).isFalse();
        assertThat(stalls.outstanding()).isZero();
    }

    @Test
    void anAcknowledgementLaterThanTheWindowAsksForOneResyncAndLaterOnesOfTheSameStallDoNot() {
        for (int i = 1; i <= 3; i++) stalls.sent(t0 + i);
        stalls.answered(t0 + 1, t0 + 5 * W, true); // broker unreachable for 5 W, then the first acknowledgement
        assertThat(resyncWanted()).isTrue();
        assertThat(loss.takeResync(t0 + 5 * W)).isTrue();
        stalls.resyncStarting(t0 + 5 * W);
        assertThat(metrics.publishStalls()).isEqualTo(1);
        // the rest of the stalled records: sent before the resync began, which follows them in the partition
        stalls.answered(t0 + 2, t0 + 5 * W + 1, true);
        stalls.answered(t0 + 3, t0 + 5 * W + 2, true);
        assertThat(resyncWanted()).isFalse();
        // a record sent after the resync began and stalled again: another stall
        stalls.sent(t0 + 5 * W + 3);
        stalls.answered(t0 + 5 * W + 3, t0 + 7 * W, true);
        assertThat(resyncWanted()).isTrue();
    }

    @Test
    void aBacklogAcknowledgedSteadilyIsNoStallThoughItsLastRecordWaitedManyWindows() {
        int n = 1000; // a large snapshot handed to the client at once, acknowledged every W/10 over 100 W
        for (int i = 0; i < n; i++) stalls.sent(t0 + 1);
        for (int i = 1; i <= n; i++) stalls.answered(t0 + 1, t0 + 1 + i * (W / 10), true);
        assertThat(resyncWanted()).isFalse();
        assertThat(metrics.publishStalls()).isZero();
    }

    @Test
    void aBacklogWhoseAcknowledgementsStopForMoreThanTheWindowIsAStall() {
        for (int i = 0; i < 3; i++) stalls.sent(t0 + 1);
        stalls.answered(t0 + 1, t0 + W / 2, true);
        stalls.answered(t0 + 1, t0 + W / 2 + 2 * W, true); // nothing acknowledged for 2 W in between
        assertThat(resyncWanted()).isTrue();
    }

    @Test
    void acknowledgementsArrivingWhileTheResyncIsGrantedDoNotAskForAnother() {
        for (int i = 1; i <= 3; i++) stalls.sent(t0 + i);
        stalls.answered(t0 + 1, t0 + 5 * W, true);
        assertThat(resyncWanted()).isTrue();
        assertThat(loss.takeResync(t0 + 5 * W)).isTrue();
        stalls.answered(t0 + 2, t0 + 5 * W + 1, true); // before the resync has begun
        stalls.resyncStarting(t0 + 5 * W + 2);
        stalls.answered(t0 + 3, t0 + 5 * W + 3, true);
        assertThat(resyncWanted()).isFalse();
    }

    @Test
    void aFailedSendIsLossNotAStall() {
        stalls.sent(t0 + 1);
        stalls.answered(t0 + 1, t0 + 60 * W, false);
        assertThat(resyncWanted()).isFalse();
        assertThat(stalls.outstanding()).isZero();
    }

    @Test
    void aHeartbeatMoreThanAWindowLateAsksForAResync() {
        stalls.heartbeat(W / 2);
        assertThat(resyncWanted()).isFalse();
        stalls.heartbeat(W + 1);
        assertThat(resyncWanted()).isTrue();
    }
}
