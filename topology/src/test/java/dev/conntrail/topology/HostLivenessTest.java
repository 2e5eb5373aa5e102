package dev.conntrail.topology;

import static dev.conntrail.topology.TaskParts.T0;
import static dev.conntrail.topology.TaskParts.W;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.EventType;
import dev.conntrail.schemas.HostPartitioner;
import dev.conntrail.topology.errors.InputRejectedException;
import dev.conntrail.topology.errors.SinkLimit;
import dev.conntrail.topology.liveness.InputProgress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link HostLiveness}: hosts seen, lost after 3 W of proven silence, back with their next record (design rule 5). */
class HostLivenessTest {
    private final TaskParts task = new TaskParts();

    @Test
    void aHostSilentOverThreeWindowsOfReadThroughInputIsLostAndItsOpenRowsClose() {
        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0));
        task.send(task.event(EventType.CONNECT, "host-a", 40001, T0));
        task.send(task.event(EventType.CLOSE, "host-a", 40001, T0));
        task.published();
        long lastSeen = task.now();

        task.advance(W.multipliedBy(3));
        task.readThrough = new InputProgress.ReadThrough(task.now(), Long.MIN_VALUE);
        task.hosts.judge(task.now());
        assertThat(task.published()).as("3 W exactly is not more than 3 W").isEmpty();

        task.advance(Duration.ofMillis(1));
        task.readThrough = new InputProgress.ReadThrough(task.now(), Long.MIN_VALUE);
        task.hosts.judge(task.now());

        assertThat(task.published()).singleElement().satisfies(r -> {
            assertThat(r.key()).contains("|40000|");
            assertThat(r.value().getCloseReason()).isEqualTo(CloseReason.HOST_LOST);
        });
        assertThat(task.metrics.hostsLostNow.get()).isEqualTo(1);
        assertThat(task.hostStore.get("host-a").lost).as("persisted").isTrue();
        assertThat(task.hostStore.get("host-a").lastSeen).isEqualTo(lastSeen);
        assertThat(task.counts.openRows()).isZero();
        assertThat(task.counts.closedRows()).isEqualTo(2);

        task.send(task.event(EventType.HEARTBEAT, "host-a", 0, T0.plusSeconds(31)));
        assertThat(task.metrics.hostsLostNow.get()).as("back").isZero();
    }

    @Test
    void withoutProofOfReadingThroughNoHostIsLost() {
        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0));
        task.published();
        task.advance(W.multipliedBy(10));

        task.readThrough = null; // the offsets could not be read
        task.hosts.judge(task.now());
        task.readThrough = new InputProgress.ReadThrough(task.now(), task.now() - 1_000); // read through only since a second ago
        task.hosts.judge(task.now());

        assertThat(task.published()).isEmpty();
        assertThat(task.metrics.hostsLostNow.get()).isZero();
    }

    @Test
    void aHostsFirstRecordInAnotherHostsPartitionIsRejected() {
        TaskParts partitioned = new TaskParts(TopologySettings.defaults(W).withPersistentStores(false).withInputPartitions(6),
                SinkLimit.unlimited(), null);
        String elsewhere = "host-a";
        for (int i = 0; HostPartitioner.partitionFor(elsewhere, 6) == 0; i++) elsewhere = "host-" + i;
        String host = elsewhere;

        assertThatThrownBy(() -> partitioned.hosts.seen(host, partitioned.now())).isInstanceOf(InputRejectedException.class)
                .hasMessageContaining("HostPartitioner");
        assertThat(partitioned.hosts.size()).isZero();
        assertThat(partitioned.metrics.hostsSeen.get()).isZero();
    }

    @Test
    void livenessAloneIsPersistedAtMostTwiceAWindow() {
        task.send(task.event(EventType.HEARTBEAT, "host-a", 0, T0));
        long first = task.hostStore.get("host-a").lastSeen;
        task.advance(W.dividedBy(2).minusMillis(1));
        task.send(task.event(EventType.HEARTBEAT, "host-a", 0, T0));
        assertThat(task.hostStore.get("host-a").lastSeen).isEqualTo(first);
        task.advance(Duration.ofMillis(1));
        task.send(task.event(EventType.HEARTBEAT, "host-a", 0, T0));
        assertThat(task.hostStore.get("host-a").lastSeen).isEqualTo(task.now());
    }
}
