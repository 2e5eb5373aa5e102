package dev.conntrail.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.topology.metrics.TopologyMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** {@link RowCounts}: a task's counts and the instance-wide gauges move together; a task takes back only its own share. */
class RowCountsTest {
    private final TopologyMetrics metrics = new TopologyMetrics(new SimpleMeterRegistry());

    @Test
    void eachMoveChangesTheTaskAndTheGaugesAlike() {
        RowCounts counts = new RowCounts(metrics);
        counts.opened();
        counts.opened();
        counts.closed();
        counts.arrivedClosed();
        counts.reopened();
        counts.expired();
        counts.dropped(true);

        assertThat(counts.openRows()).isEqualTo(1); // 2 opened, 1 closed, 1 reopened, 1 dropped open
        assertThat(counts.closedRows()).isZero(); // 1 closed, 1 arrived closed, 1 reopened, 1 expired
        assertThat(metrics.openRows.get()).isEqualTo(1);
        assertThat(metrics.closedRows.get()).isZero();
    }

    @Test
    void forgettingATaskLeavesTheOtherTasksRows() {
        RowCounts one = new RowCounts(metrics);
        RowCounts other = new RowCounts(metrics);
        one.restored(true);
        one.restored(false);
        other.restored(true);

        one.forget();
        one.forget(); // a task closed after a failed init forgets twice

        assertThat(metrics.openRows.get()).isEqualTo(1);
        assertThat(metrics.closedRows.get()).isZero();
        assertThat(one.openRows()).isZero();
    }
}
