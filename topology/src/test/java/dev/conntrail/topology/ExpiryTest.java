package dev.conntrail.topology;

import static dev.conntrail.topology.TaskParts.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.EventType;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link Expiry}: tombstones of closed rows when due (design rule 4, windows). */
class ExpiryTest {
    private final TaskParts task = new TaskParts();

    @BeforeEach
    void freshBudget() {
        ExpiryBudget.forgetThisThread();
    }

    @Test
    void aClosedRowIsTombstonedWhenDueAndNotBefore() {
        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0));
        task.send(task.event(EventType.CLOSE, "host-a", 40000, T0.plusMillis(5)));
        String id = task.published().get(0).key();
        long due = task.rows.get(id).tombstoneAt;
        assertThat(due).isGreaterThan(task.now());

        task.context.setCurrentSystemTimeMs(due - 1);
        task.expiry.expireDue(task.now());
        assertThat(task.published()).isEmpty();

        task.context.setCurrentSystemTimeMs(due);
        task.expiry.expireDue(task.now());
        assertThat(task.published()).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo(id);
            assertThat(r.value()).as("a tombstone").isNull();
        });
        assertThat(task.rows.get(id)).isNull();
        assertThat(task.counts.closedRows()).isZero();
        assertThat(task.metrics.closedRows.get()).isZero();
        assertThat(task.expiry.scheduled()).isZero();
    }

    @Test
    void aRowReopenedBeforeItsTombstoneIsNotDeleted() {
        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0));
        task.send(task.event(EventType.CLOSE, "host-a", 40000, T0.plusMillis(5)));
        String id = task.published().get(1).key();
        long due = task.rows.get(id).tombstoneAt;
        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0.plusMillis(10)));
        task.published();

        task.context.setCurrentSystemTimeMs(due + Duration.ofSeconds(1).toMillis());
        task.expiry.expireDue(task.now());

        assertThat(task.published()).as("the schedule's entry is stale: checked against the row").isEmpty();
        assertThat(task.rows.get(id).isOpen()).isTrue();
        assertThat(task.counts.openRows()).isEqualTo(1);
    }

    @Test
    void aWindowsClosesFallDueTogetherAndAllGoInOnePunctuation() {
        for (int i = 0; i < 200; i++) {
            task.send(task.event(EventType.CLOSE, "host-a", 30000 + i, T0.plusMillis(i % 7)));
        }
        task.published();
        assertThat(task.expiry.scheduled()).isEqualTo(200);

        task.advance(TaskParts.W.multipliedBy(3));
        task.expiry.expireDue(task.now());

        assertThat(task.published()).hasSize(200).allSatisfy(r -> assertThat(r.value()).isNull());
        assertThat(task.counts.closedRows()).isZero();
    }
}
