package dev.conntrail.topology;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.HostPartitioner;
import dev.conntrail.topology.errors.SinkLimit;
import dev.conntrail.topology.liveness.InputProgress;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.restore.RowsRestorer;
import dev.conntrail.topology.rows.KeptTables;
import dev.conntrail.topology.state.StateSerdes;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import java.util.Optional;
import java.util.Set;

/**
 * The conntrail topology, top to bottom:
 *
 * <pre>
 *   tcp-events (TcpEvent, key: connection id | host) ──┐
 *                                                      ├─► connection-table ──► connections (Connection, key: connection id)
 *   conntrack-nat (NatEntry, key: NAT key) ────────────┘     rows on the heap (connections is their changelog),
 *                                                            stores: row-marks, nat-entries, hosts
 * </pre>
 *
 * <p>Both inputs are partitioned by host with the same partition count (docs/design.md, "Topics"), so one task
 * holds a host's events and NAT entries: no repartition. One processor reads both because the
 * rules join them both ways (NAT first or connection first) and share one punctuation. It is the
 * Processor API with state stores, not the DSL, because rows expire on the wall clock, close in
 * bulk at a SNAPSHOT_END or a lost host, and a NAT entry must find rows by tuple.
 *
 * <p>Rows (default, in-memory mode) live on the task's heap and {@code connections} is their
 * changelog: each row change carries its bookkeeping in a header, and a task rebuilds its rows
 * from its own partition of {@code connections} when it is (re)initialised ({@link RowsRestorer}).
 * That needs the change of a host's row to land in the partition number of the task that owns the
 * host: the sink uses the contract's {@link HostPartitioner} (host part of the key), and
 * {@code connections} has the inputs' partition count (checked at start). With
 * {@code persistentStores} (RocksDB, for tables larger than the heap) rows are in a logged
 * {@code rows} store instead, restored by Streams from its changelog.
 *
 * <p>Serdes are passed in: the registry-backed Avro serde in production, the same serde with a
 * {@code mock://} registry in TopologyTestDriver tests. Input records are checked at the processor's
 * door ({@link InputDoor}); undecodable input, records it refuses and row changes the sink cannot
 * take are dead-lettered by the exception handlers configured in {@link StreamsSettings}.
 */
public final class ConnectionTopology {
    public static final String EVENTS_SOURCE = "tcp-events-source";
    public static final String NAT_SOURCE = "conntrack-nat-source";
    public static final String TABLE = "connection-table";
    public static final String SINK = "connections-sink";
    public static final String ROWS_STORE = "rows";
    public static final String ROW_MARKS_STORE = "row-marks";
    public static final String NAT_STORE = "nat-entries";
    public static final String HOSTS_STORE = "hosts";

    private ConnectionTopology() {
    }

    /**
     * @param restorer reads a task's partition of {@code connections} back at initialisation
     *                 (in-memory mode; unused with {@code persistentStores})
     * @param progress how far each task is proven to have read its input: the evidence on which hosts are judged
     *                 lost (design rule 5); {@link InputProgress#SYNCHRONOUS} in TopologyTestDriver
     */
    public static Topology build(TopologySettings settings, Serde<TcpEvent> events, Serde<NatEntry> natEntries,
            Serde<Connection> connections, TopologyMetrics metrics, RowsRestorer restorer, InputProgress progress) {
        return build(settings, events, natEntries, connections, metrics, restorer, progress, SinkLimit.unlimited());
    }

    /**
     * @param sinkLimit the largest row change {@code connections} takes: rows that would not fit are
     *                  dead-lettered at the processor instead of failing the sink
     */
    public static Topology build(TopologySettings settings, Serde<TcpEvent> events, Serde<NatEntry> natEntries,
            Serde<Connection> connections, TopologyMetrics metrics, RowsRestorer restorer, InputProgress progress, SinkLimit sinkLimit) {
        TopicNames topics = settings.topics();
        Topology topology = new Topology();
        KeptTables kept = new KeptTables(); // one per instance: its tasks' restored tables, until changed
        topology.addSource(EVENTS_SOURCE, Serdes.String().deserializer(), events.deserializer(), topics.events());
        topology.addSource(NAT_SOURCE, Serdes.String().deserializer(), natEntries.deserializer(), topics.nat());
        topology.addProcessor(TABLE, () -> new ConnectionTableProcessor(settings, metrics, restorer, connections.deserializer(),
                        progress, connections.serializer(), sinkLimit, kept),
                EVENTS_SOURCE, NAT_SOURCE);
        if (settings.persistentStores()) {
            topology.addStateStore(store(ROWS_STORE, StateSerdes.rows(), settings), TABLE);
        } else {
            topology.addStateStore(store(ROW_MARKS_STORE, Serdes.ByteArray(), settings), TABLE);
        }
        topology.addStateStore(store(NAT_STORE, StateSerdes.natEntries(), settings), TABLE);
        topology.addStateStore(store(HOSTS_STORE, StateSerdes.hosts(), settings), TABLE);
        topology.addSink(SINK, topics.connections(), Serdes.String().serializer(), connections.serializer(), BY_HOST, TABLE);
        return topology;
    }

    /** docs/design.md, "Topics", partitioning: a row change goes to its host's partition, the partition number of the task that wrote it. */
    static final StreamPartitioner<String, Connection> BY_HOST = (topic, key, value, partitions) ->
            Optional.of(Set.of(HostPartitioner.partitionFor(key, partitions)));

    private static <V> StoreBuilder<?> store(String name, Serde<V> values, TopologySettings settings) {
        KeyValueBytesStoreSupplier supplier = settings.persistentStores()
                ? Stores.persistentKeyValueStore(name) : Stores.inMemoryKeyValueStore(name);
        StoreBuilder<?> builder = Stores.keyValueStoreBuilder(supplier, Serdes.String(), values);
        return settings.storeCaching() ? builder.withCachingEnabled() : builder.withCachingDisabled();
    }
}
