package dev.conntrail.topology.rows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.schemas.Keys;
import dev.conntrail.schemas.registry.RetryingSchemaRegistry;
import dev.conntrail.topology.TopologySettings;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.restore.RowsRestorer;
import dev.conntrail.topology.run.ValueSerdes;
import dev.conntrail.topology.state.RowState;
import dev.conntrail.topology.state.RowStateHeader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * {@link HeapRowTable#restore} from a partition of {@code connections} held in memory (records as the topology
 * writes them, with the real registry serde), in Kafka's own {@link MockProcessorContext} with a real marks
 * store; and {@link KeptTables}: a table no record changed continues where its restore ended.
 */
class HeapRowTableRestoreTest {
    private static final String TOPIC = "connections";
    private final Serde<Connection> serde = ValueSerdes.registry(RetryingSchemaRegistry.Policy.of(Duration.ofSeconds(5), Duration.ofMillis(200)), null)
            .forValues(Connection.class, Map.of("schema.registry.url", "mock://heap-restore-" + UUID.randomUUID()));
    private final TopologySettings settings = TopologySettings.defaults(Duration.ofSeconds(10)).withPersistentStores(false);
    private final TopologyMetrics metrics = new TopologyMetrics(new SimpleMeterRegistry());
    private long clock;
    private final KeptTables kept = new KeptTables(() -> clock);

    /** The partition: offsets are list positions. Counts what each replay handed over. */
    private final class Partition implements RowsRestorer {
        final List<Object[]> records = new ArrayList<>(); // key, value bytes, headers
        long handed;
        long startOffset;

        void row(int port, ConnectionState state) {
            Instant now = Instant.parse("2026-11-26T20:00:00Z");
            Connection c = new Connection("h", 1L, Family.IPV4, "10.0.0.1", port, "10.0.0.2", 80, (long) port, Direction.OUTGOING, 7, "x",
                    1000L, 1L, state, null, now, state == ConnectionState.CLOSED ? now : null, now, Source.EBPF, null, null, null);
            if (state == ConnectionState.CLOSED) c.setCloseReason(dev.conntrail.avro.CloseReason.CLOSED);
            RowState s = new RowState(c);
            s.seq = records.size();
            records.add(new Object[] {id(port), serde.serializer().serialize(TOPIC, c), new RecordHeaders().add(RowStateHeader.NAME, RowStateHeader.encode(s))});
        }

        void tombstone(int port) {
            records.add(new Object[] {id(port), null, new RecordHeaders()});
        }

        @Override
        public long replay(ProcessorContext<?, ?> context, String topic, int partition, long fromOffset, RecordHandler each) {
            if (fromOffset > 0 && fromOffset < startOffset) throw new OffsetGoneException("starts at " + startOffset);
            long n = 0;
            for (int o = (int) Math.max(fromOffset, startOffset); o < records.size(); o++) {
                Object[] r = records.get(o);
                each.accept(o, (String) r[0], (byte[]) r[1], (Headers) r[2]);
                n++;
            }
            handed += n;
            return n;
        }
    }

    private static String id(int port) {
        return Keys.connectionId("h", 1L, "10.0.0.1", port, "10.0.0.2", 80, (long) port);
    }

    private HeapRowTable restore(Partition p) {
        MockProcessorContext<String, Connection> context = new MockProcessorContext<>(new Properties());
        KeyValueStore<String, byte[]> marks = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("row-marks"), Serdes.String(),
                Serdes.ByteArray()).withLoggingDisabled().build();
        marks.init(context.getStateStoreContext(), marks);
        context.addStateStore(marks);
        return HeapRowTable.restore(context, p, TOPIC, serde.deserializer(), marks, settings, metrics, kept);
    }

    @Test
    void aTableNoRecordChangedContinuesFromWhereItsRestoreEnded() {
        Partition p = new Partition();
        for (int port = 1; port <= 100; port++) p.row(port, ConnectionState.OPEN);
        HeapRowTable first = restore(p);
        assertThat(first.size()).isEqualTo(100);
        assertThat(p.handed).isEqualTo(100);

        p.row(101, ConnectionState.OPEN);
        p.row(5, ConnectionState.CLOSED);
        p.tombstone(7);
        HeapRowTable again = restore(p);

        assertThat(again).isSameAs(first);
        assertThat(p.handed).as("only the three records since").isEqualTo(103);
        assertThat(metrics.count("conntrail.topology.rows.restore.continued")).isEqualTo(1);
        assertThat(again.size()).isEqualTo(100);
        assertThat(again.get(id(5)).isOpen()).isFalse();
        assertThat(again.get(id(7))).isNull();
        assertThat(again.ofHost("h")).as("indexed by host with the new rows").hasSize(100);
        assertThat(again.keysOfTuple(RowKeys.tuple("h", "10.0.0.1", 101, "10.0.0.2", 80))).containsExactly(id(101));

        HeapRowTable whole = restore(freshCopyOf(p));
        assertThat(rowsOf(whole)).as("the same rows as a restore of the whole partition").isEqualTo(rowsOf(again));
    }

    @Test
    void aRowLookedUpBeforeTheTableWasContinuedIsWrittenWhereTheContinuedTableHasIt() {
        Partition p = new Partition();
        p.row(1, ConnectionState.OPEN);
        HeapRowTable first = restore(p);
        RowState looked = first.get(id(1)); // a record that changed nothing
        p.row(1, ConnectionState.CLOSED);
        HeapRowTable again = restore(p);
        assertThat(again).isSameAs(first);

        looked.row.setComm("changed");
        again.put(id(1), looked);

        assertThat(again.get(id(1)).row.getComm()).isEqualTo("changed");
        assertThat(again.ofHost("h")).singleElement().satisfies(kv -> assertThat(kv.value.row.getComm()).isEqualTo("changed"));
    }

    @Test
    void aChangedTableIsNotKeptAndTheNextRestoreReadsThePartitionWhole() {
        Partition p = new Partition();
        for (int port = 1; port <= 10; port++) p.row(port, ConnectionState.OPEN);
        HeapRowTable first = restore(p);
        RowState s = first.get(id(1));
        first.put(id(1), s); // the task processed a record

        HeapRowTable next = restore(p);

        assertThat(next).isNotSameAs(first);
        assertThat(p.handed).isEqualTo(20);
        assertThat(kept.size()).as("only the new table").isEqualTo(1);
    }

    @Test
    void whenThePartitionNoLongerHoldsWhereTheRestoreEndedItIsReadWhole() {
        Partition p = new Partition();
        for (int port = 1; port <= 10; port++) p.row(port, ConnectionState.OPEN);
        HeapRowTable first = restore(p);
        p.row(11, ConnectionState.OPEN);
        p.row(12, ConnectionState.OPEN);
        p.startOffset = 11; // the records before row 12 were deleted, row 11 (offset 10) among them

        HeapRowTable next = restore(p);

        assertThat(next).isNotSameAs(first);
        assertThat(next.size()).isEqualTo(1);
        assertThat(next.get(id(12))).isNotNull();
    }

    @Test
    void aTableKeptLongerThanTombstonesAreSureToStayIsReadWhole() {
        Partition p = new Partition();
        for (int port = 1; port <= 10; port++) p.row(port, ConnectionState.OPEN);
        HeapRowTable first = restore(p);

        clock += KeptTables.MAX_AGE.toNanos() + 1;
        HeapRowTable next = restore(p);

        assertThat(next).isNotSameAs(first);
        assertThat(p.handed).isEqualTo(20);
        assertThat(metrics.count("conntrail.topology.rows.restore.continued")).isZero();
    }

    private Partition freshCopyOf(Partition p) {
        Partition copy = new Partition();
        copy.records.addAll(p.records);
        kept.take(TOPIC + "-0");
        return copy;
    }

    private static Map<String, String> rowsOf(HeapRowTable t) {
        Map<String, String> out = new java.util.TreeMap<>();
        t.forEach((k, s) -> out.put(k, s.row + " " + s.seq + " " + s.tombstoneAt));
        return out;
    }
}
