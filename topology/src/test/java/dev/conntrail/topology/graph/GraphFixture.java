package dev.conntrail.topology.graph;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionEdge;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatInfo;
import dev.conntrail.avro.WorkloadEdge;
import dev.conntrail.schemas.Keys;
import dev.conntrail.schemas.registry.RetryingSchemaRegistry;
import dev.conntrail.topology.run.ValueSerdes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The service graph's sub-topologies alone in a TopologyTestDriver, fed row changes of {@code connections} as the
 * connection table writes them, with the real registry serde on an in-memory registry of the test's own. The
 * edges and workload pairs written are kept as tables (latest value per key, tombstones remove).
 */
final class GraphFixture implements AutoCloseable {
    static final Instant T0 = Instant.parse("2026-12-07T15:00:00Z");
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final TopologyTestDriver driver;
    final TestInputTopic<String, Connection> rows;
    final TestOutputTopic<String, ConnectionEdge> edgesOut;
    final TestOutputTopic<String, WorkloadEdge> workloadsOut;
    final Map<String, ConnectionEdge> edges = new LinkedHashMap<>();
    final Map<String, WorkloadEdge> workloads = new LinkedHashMap<>();
    int edgeChanges;

    GraphFixture() {
        this(false);
    }

    /** @param persistentStores the graph's stores in RocksDB ({@code --state-store rocksdb}) instead of on the heap */
    GraphFixture(boolean persistentStores) {
        Map<String, Object> registry = Map.of("schema.registry.url", "mock://graph-" + UUID.randomUUID());
        ValueSerdes serdes = ValueSerdes.registry(RetryingSchemaRegistry.Policy.of(Duration.ofSeconds(5), Duration.ofMillis(200)), null);
        Serde<Connection> connections = serdes.forValues(Connection.class, registry);
        Serde<ConnectionEdge> edgeSerde = serdes.forValues(ConnectionEdge.class, registry);
        Serde<WorkloadEdge> workloadSerde = serdes.forValues(WorkloadEdge.class, registry);
        Topology topology = new Topology();
        ServiceGraphTopology.addTo(topology, "connections", GraphTopics.DEFAULTS, connections, edgeSerde, workloadSerde, persistentStores,
                new GraphMetrics(meters));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "graph-ttd");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try {
            props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("conntrail-graph-ttd").toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        driver = new TopologyTestDriver(topology, props, T0);
        rows = driver.createInputTopic("connections", new StringSerializer(), connections.serializer());
        edgesOut = driver.createOutputTopic(GraphTopics.DEFAULTS.edges(), Serdes.String().deserializer(), edgeSerde.deserializer());
        workloadsOut = driver.createOutputTopic(GraphTopics.DEFAULTS.workloads(), Serdes.String().deserializer(), workloadSerde.deserializer());
    }

    /** A row as the connection table writes it. */
    static Connection row(String host, long netns, String comm, Direction direction, String laddr, int lport, String raddr, int rport,
            ConnectionState state, NatInfo nat) {
        return Connection.newBuilder().setHost(host).setNetns(netns).setFamily(laddr.contains(":") ? Family.IPV6 : Family.IPV4)
                .setLaddr(laddr).setLport(lport).setRaddr(raddr).setRport(rport).setCookie(7L).setDirection(direction)
                .setPid(100).setComm(comm).setCgroupId(5L).setState(state)
                .setOpenedAt(T0).setClosedAt(state == ConnectionState.CLOSED ? T0.plusSeconds(1) : null)
                .setUpdatedAt(state == ConnectionState.CLOSED ? T0.plusSeconds(1) : T0).setNat(nat).build();
    }

    static String id(Connection row) {
        return Keys.connectionId(row.getHost(), row.getNetns(), row.getLaddr(), row.getLport(), row.getRaddr(), row.getRport(), row.getCookie());
    }

    void put(Connection row) {
        rows.pipeInput(id(row), row);
        drain();
    }

    void tombstone(Connection row) {
        rows.pipeInput(id(row), null);
        drain();
    }

    private void drain() {
        edgesOut.readKeyValuesToList().forEach(kv -> {
            edgeChanges++;
            if (kv.value == null) edges.remove(kv.key);
            else edges.put(kv.key, kv.value);
        });
        workloadsOut.readKeyValuesToList().forEach(kv -> workloads.put(kv.key, kv.value));
    }

    double counter(String name, String... tags) {
        var c = meters.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    @Override
    public void close() {
        driver.close();
    }
}
