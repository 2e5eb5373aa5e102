package dev.conntrail.topology.graph;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionEdge;
import dev.conntrail.avro.WorkloadEdge;
import dev.conntrail.schemas.HostPartitioner;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The service graph (docs/design.md, "The service graph"), three sub-topologies added to the connection table's:
 *
 * <pre>
 *   connections ─► end-router ─► connection-ends ─► edge-pairing ─► connection-edges ─► workload-counts ─► service-graph
 *   (by host)      end-keys      (by meeting key)   edge-ends,      (by client host)    edge-workloads,     (by client host)
 *                                                   edges                               workloads
 * </pre>
 *
 * <p>The two ends of a connection are rows of two hosts, in two partitions of {@code connections}; the end-router
 * repartitions them by the tuple they had on the wire, so one task pairs them. Edges and workload pairs are keyed
 * starting with the client's host and placed by it, so the task reading a partition of {@code connection-edges}
 * holds every edge of its workload pairs: the aggregate needs no second repartition.
 */
public final class ServiceGraphTopology {
    public static final String CONNECTIONS_SOURCE = "connections-source";
    public static final String END_ROUTER = "end-router";
    public static final String ENDS_SINK = "connection-ends-sink";
    public static final String ENDS_SOURCE = "connection-ends-source";
    public static final String EDGE_PAIRING = "edge-pairing";
    public static final String EDGES_SINK = "connection-edges-sink";
    public static final String EDGES_SOURCE = "connection-edges-source";
    public static final String WORKLOAD_COUNTS = "workload-counts";
    public static final String WORKLOADS_SINK = "service-graph-sink";
    static final String END_KEYS_STORE = "end-keys";
    static final String EDGE_ENDS_STORE = "edge-ends";
    static final String EDGES_STORE = "edges";
    static final String EDGE_WORKLOADS_STORE = "edge-workloads";
    static final String WORKLOADS_STORE = "workloads";

    private ServiceGraphTopology() {
    }

    /**
     * @param connectionsTopic the connection table's output, read back
     * @param connections      its value serde; {@code edges} and {@code workloads} are the public topics' (registry) serdes
     */
    public static void addTo(Topology topology, String connectionsTopic, GraphTopics topics, Serde<Connection> connections,
            Serde<ConnectionEdge> edges, Serde<WorkloadEdge> workloads, boolean persistentStores, GraphMetrics metrics) {
        var ends = GraphSerdes.ends();
        topology.addSource(CONNECTIONS_SOURCE, Serdes.String().deserializer(), connections.deserializer(), connectionsTopic);
        topology.addProcessor(END_ROUTER, () -> new EndRouter(metrics), CONNECTIONS_SOURCE);
        topology.addStateStore(store(END_KEYS_STORE, Serdes.String(), persistentStores), END_ROUTER);
        topology.addSink(ENDS_SINK, topics.ends(), Serdes.String().serializer(), ends.serializer(), EndKeys.BY_MEETING_KEY, END_ROUTER);

        topology.addSource(ENDS_SOURCE, Serdes.String().deserializer(), ends.deserializer(), topics.ends());
        topology.addProcessor(EDGE_PAIRING, () -> new EdgePairing(metrics), ENDS_SOURCE);
        topology.addStateStore(store(EDGE_ENDS_STORE, ends, persistentStores), EDGE_PAIRING);
        topology.addStateStore(store(EDGES_STORE, GraphSerdes.edges(), persistentStores), EDGE_PAIRING);
        topology.addSink(EDGES_SINK, topics.edges(), Serdes.String().serializer(), edges.serializer(), byHost(), EDGE_PAIRING);

        topology.addSource(EDGES_SOURCE, Serdes.String().deserializer(), edges.deserializer(), topics.edges());
        topology.addProcessor(WORKLOAD_COUNTS, WorkloadCounts::new, EDGES_SOURCE);
        topology.addStateStore(store(EDGE_WORKLOADS_STORE, Serdes.String(), persistentStores), WORKLOAD_COUNTS);
        topology.addStateStore(store(WORKLOADS_STORE, GraphSerdes.workloads(), persistentStores), WORKLOAD_COUNTS);
        topology.addSink(WORKLOADS_SINK, topics.workloads(), Serdes.String().serializer(), workloads.serializer(), byHost(), WORKLOAD_COUNTS);
    }

    /** docs/design.md, "Topics", partitioning: keyed by the client's host first, placed by it. */
    private static <V> StreamPartitioner<String, V> byHost() {
        return (topic, key, value, partitions) -> Optional.of(Set.of(HostPartitioner.partitionFor(key, partitions)));
    }

    /** Logged stores: unlike the rows, nothing else holds the graph's state. */
    private static <V> StoreBuilder<?> store(String name, Serde<V> values, boolean persistent) {
        KeyValueBytesStoreSupplier supplier = persistent ? Stores.persistentKeyValueStore(name) : Stores.inMemoryKeyValueStore(name);
        return Stores.keyValueStoreBuilder(supplier, Serdes.String(), values).withCachingDisabled();
    }
}
