package dev.conntrail.producer.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LossTrackerTest {
    private static final long W = Duration.ofSeconds(10).toNanos();

    @Test
    void countsEveryLossButGrantsAtMostOneResyncPerWindow() {
        AgentMetrics metrics = new AgentMetrics(new SimpleMeterRegistry());
        LossTracker loss = new LossTracker(metrics, Duration.ofNanos(W));
        long t0 = 1_000_000_000L;
        loss.startedAt(t0);
        assertThat(loss.takeResync(t0 + 1)).isFalse(); // nothing lost

        loss.lost(LossCause.TRACER, 5, "ring buffer");
        loss.lost(LossCause.QUEUE_FULL, 2, "queue");
        assertThat(metrics.lostTotal(LossCause.TRACER)).isEqualTo(5.0);
        assertThat(metrics.lostTotal(LossCause.QUEUE_FULL)).isEqualTo(2.0);
        assertThat(loss.takeResync(t0 + W / 2)).isFalse(); // within the window of the start-up snapshot
        assertThat(loss.takeResync(t0 + W)).isTrue();
        assertThat(loss.takeResync(t0 + W + 1)).isFalse(); // taken

        loss.lost(LossCause.SEND_FAILED, 1, "send");
        assertThat(loss.takeResync(t0 + W + W / 2)).isFalse(); // one per window
        assertThat(loss.takeResync(t0 + 2 * W)).isTrue();
    }

    @Test
    void lossesWithinAWindowAreSummedIntoTheNextLineEvenWithoutANewLoss() {
        AgentMetrics metrics = new AgentMetrics(new SimpleMeterRegistry());
        LossTracker loss = new LossTracker(metrics, Duration.ofMillis(200));
        loss.lost(LossCause.QUEUE_FULL, 1, "first"); // logged at once
        loss.lost(LossCause.QUEUE_FULL, 41, "more");
        loss.lost(LossCause.SEND_FAILED, 2, "more");
        assertThat(loss.flushLog(System.nanoTime())).isNull(); // within the window
        String line = loss.flushLog(System.nanoTime() + Duration.ofMillis(250).toNanos());
        assertThat(line).contains("QUEUE_FULL=41", "SEND_FAILED=2");
        assertThat(loss.flushLog(System.nanoTime() + Duration.ofSeconds(1).toNanos())).isNull(); // nothing new
    }

    @Test
    void zeroIsNotALoss() {
        AgentMetrics metrics = new AgentMetrics(new SimpleMeterRegistry());
        LossTracker loss = new LossTracker(metrics, Duration.ofSeconds(1));
        loss.lost(LossCause.CONNTRACK, 0, "nothing");
        assertThat(loss.resyncWanted()).isFalse();
        loss.requestResync();
        assertThat(loss.takeResync(System.nanoTime())).isTrue();
    }
}
