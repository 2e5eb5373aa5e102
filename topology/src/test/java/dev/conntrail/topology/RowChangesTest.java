package dev.conntrail.topology;

import static dev.conntrail.topology.TaskParts.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.EventType;
import dev.conntrail.schemas.registry.RetryingSchemaRegistry;
import dev.conntrail.topology.errors.InputRejectedException;
import dev.conntrail.topology.errors.SinkLimit;
import dev.conntrail.topology.run.ValueSerdes;
import dev.conntrail.topology.state.RowState;
import dev.conntrail.topology.state.RowStateHeader;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

/** {@link RowChanges}: a row change goes to the table and the sink with its bookkeeping, or nowhere when the sink cannot take it. */
class RowChangesTest {
    /** The real registry serde on an in-memory registry of this test's own, as the sink writes rows. */
    private static Serde<Connection> sinkSerde() {
        return ValueSerdes.registry(RetryingSchemaRegistry.Policy.of(Duration.ofSeconds(5), Duration.ofMillis(200)), null)
                .forValues(Connection.class, Map.of("schema.registry.url", "mock://row-changes-" + UUID.randomUUID()));
    }

    @Test
    void aChangeCarriesItsBookkeepingInAHeader() {
        TaskParts task = new TaskParts();
        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0));

        var published = task.published();
        assertThat(published).hasSize(1);
        var header = published.get(0).headers().lastHeader(RowStateHeader.NAME);
        assertThat(header).isNotNull();
        RowState decoded = new RowState(published.get(0).value());
        RowStateHeader.decodeInto(header.value(), decoded);
        assertThat(decoded.epoch).isEqualTo(task.epoch);
        assertThat(decoded.seq).isEqualTo(task.seq);
    }

    @Test
    void aChangeTooLargeForTheSinkRejectsItsInputRecordAndChangesNothing() {
        TaskParts task = new TaskParts(TopologySettings.defaults(TaskParts.W).withPersistentStores(false), new SinkLimit(200), sinkSerde());
        var connect = task.event(EventType.CONNECT, "host-a", 40000, T0);
        connect.setComm("c".repeat(200));

        assertThatThrownBy(() -> task.send(connect)).isInstanceOf(InputRejectedException.class)
                .hasMessageContaining("the sink accepts");
        assertThat(task.published()).isEmpty();
        assertThat(task.counts.openRows()).isZero();
    }

    @Test
    void aPunctuationsCloseTooLargeForTheSinkDeletesTheRowInstead() {
        TaskParts task = new TaskParts(TopologySettings.defaults(TaskParts.W).withPersistentStores(false), new SinkLimit(400), sinkSerde());
        var connect = task.event(EventType.CONNECT, "host-a", 40000, T0);
        connect.setComm("c".repeat(100));
        task.send(connect);
        String id = task.published().get(0).key();
        RowState row = task.rows.get(id);
        row.row.setComm("c".repeat(300)); // grown past the limit since (a stand-in for a larger close)

        task.changes.inPunctuation(true);
        boolean stored = task.changes.close(id, row, CloseReason.HOST_LOST, Instant.ofEpochMilli(task.now()), task.now(), task.now());
        task.changes.inPunctuation(false);

        assertThat(stored).isFalse();
        assertThat(task.published()).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo(id);
            assertThat(r.value()).as("a tombstone").isNull();
        });
        assertThat(task.rows.get(id)).isNull();
        assertThat(task.counts.openRows()).isZero();
        assertThat(task.counts.closedRows()).isZero();
    }
}
