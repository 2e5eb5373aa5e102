package dev.conntrail.topology.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.ConnectionEdge;
import dev.conntrail.avro.EdgeState;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.avro.WorkloadEdge;
import dev.conntrail.schemas.Keys;
import dev.conntrail.topology.graph.GraphTopics;
import dev.conntrail.topology.run.TopologyApp;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The service graph on the real broker and registry, exactly_once_v2: events of two hosts whose rows land in two
 * partitions of connections become one edge in connection-edges, closed with the rows, tombstoned with them, and
 * counted in service-graph.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ServiceGraphIntegrationTest {

    @Test
    void twoHostsEndsOfOneConnectionBecomeOneEdgeThatGoesWithTheRows() throws Exception {
        String prefix = ConnectionTopologyIntegrationTest.prefix();
        Duration w = Duration.ofSeconds(2);
        GraphTopics graph = new GraphTopics(prefix + "connection-ends", prefix + "connection-edges", prefix + "service-graph");
        TopologyApp.Options options = ConnectionTopologyIntegrationTest.options(prefix, Files.createTempDirectory("conntrail-it-graph"), w)
                .withServiceGraph(graph);
        Kit kit = new Kit(prefix, 2);
        String client = "web-host";
        String server = hostOnOtherPartition(kit, client);
        Deserializer<ConnectionEdge> edges = TestSerdes.forValues(ConnectionEdge.class).deserializer();
        Deserializer<WorkloadEdge> workloads = TestSerdes.forValues(WorkloadEdge.class).deserializer();
        // both hosts stay alive (design rule 5): no HOST_LOST close may stand in for the CLOSEs this test sends
        AtomicBoolean stop = new AtomicBoolean();
        Thread heartbeats = new Thread(() -> {
            while (!stop.get()) {
                synchronized (kit) {
                    kit.send(kit.hostEvent(EventType.HEARTBEAT, client, Instant.now()));
                    kit.send(kit.hostEvent(EventType.HEARTBEAT, server, Instant.now()));
                }
                kit.producer.flush();
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try (TopologyApp app = TopologyApp.start(options)) {
            heartbeats.start();
            Instant t = Instant.now();
            kit.send(event(kit, EventType.CONNECT, client, "10.7.0.1", 41000, "10.7.0.2", 5432, "psql", t));
            kit.send(event(kit, EventType.ACCEPT, server, "10.7.0.2", 5432, "10.7.0.1", 41000, "postgres", t));
            // an end whose peer runs no agent
            kit.send(event(kit, EventType.CONNECT, client, "10.7.0.1", 41001, "10.7.0.9", 443, "psql", t));
            kit.producer.flush();

            Map<String, ConnectionEdge> table = edgeTable(kit.readCommitted(graph.edges(), 1, Duration.ofSeconds(90)), edges);
            String edgeKey = Keys.connectionId(client, 4026531833L, "10.7.0.1", 41000, "10.7.0.2", 5432, 46432L) + "|"
                    + Keys.connectionId(server, 4026531833L, "10.7.0.2", 5432, "10.7.0.1", 41000, 46432L);
            assertThat(table).containsOnlyKeys(edgeKey);
            ConnectionEdge edge = table.get(edgeKey);
            assertThat(edge.getState()).isEqualTo(EdgeState.OPEN);
            assertThat(edge.getClient().getComm()).isEqualTo("psql");
            assertThat(edge.getServer().getComm()).isEqualTo("postgres");
            assertThat(edge.getServer().getHost()).isEqualTo(server);
            List<ConsumerRecord<String, byte[]>> counts = kit.readCommitted(graph.workloads(), 1, Duration.ofSeconds(30));
            WorkloadEdge last = workloads.deserialize(graph.workloads(), counts.get(counts.size() - 1).value());
            assertThat(counts.get(counts.size() - 1).key()).isEqualTo(client + "|" + server + "|psql|postgres");
            assertThat(last.getOpen()).isEqualTo(1);

            Instant closed = Instant.now();
            kit.send(event(kit, EventType.CLOSE, client, "10.7.0.1", 41000, "10.7.0.2", 5432, null, closed));
            kit.send(event(kit, EventType.CLOSE, server, "10.7.0.2", 5432, "10.7.0.1", 41000, null, closed));
            kit.producer.flush();
            // CLOSED, then tombstoned once the first row is (design rule 4: within about 2 W of the close)
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            List<ConsumerRecord<String, byte[]>> changes = List.of();
            while (System.nanoTime() < until) {
                changes = kit.readCommitted(graph.edges(), 0, Duration.ofSeconds(1));
                if (!changes.isEmpty() && changes.get(changes.size() - 1).value() == null) break;
                Thread.sleep(500);
            }
            assertThat(changes).extracting(r -> r.value() == null ? "tombstone" : edges.deserialize(graph.edges(), r.value()).getState().name())
                    .containsSubsequence("OPEN", "CLOSED", "tombstone")
                    .last().isEqualTo("tombstone");
            // the table's bookkeeping header stays on connections
            assertThat(changes).allSatisfy(r -> assertThat(r.headers().lastHeader("conntrail-row-state")).isNull());
            counts = kit.readCommitted(graph.workloads(), 1, Duration.ofSeconds(10));
            last = workloads.deserialize(graph.workloads(), counts.get(counts.size() - 1).value());
            assertThat(last.getOpen()).isZero();
            assertThat(last.getTotal()).isEqualTo(1);
        } finally {
            stop.set(true);
            heartbeats.join();
            kit.producer.close();
        }
    }

    private static String hostOnOtherPartition(Kit kit, String host) {
        for (int i = 0; ; i++) {
            String other = "db-host-" + i;
            if (kit.partitionOf(other) != kit.partitionOf(host)) return other;
        }
    }

    /** Under the kit's lock: its seq is shared with the heartbeat thread. */
    private static TcpEvent event(Kit kit, EventType type, String host, String laddr, int lport, String raddr, int rport, String comm,
            Instant at) {
        long seq;
        synchronized (kit) {
            seq = ++kit.seq;
        }
        return TcpEvent.newBuilder().setHost(host).setAgentEpoch(1).setSeq(seq).setType(type).setTimestamp(at)
                .setNetns(4026531833L).setFamily(Family.IPV4).setLaddr(laddr).setLport(lport).setRaddr(raddr).setRport(rport)
                .setCookie((long) lport + rport).setSource(Source.EBPF) // the test's two ends of a connection share a cookie value
                .setPid(comm == null ? null : 1000).setComm(comm).build();
    }

    private static Map<String, ConnectionEdge> edgeTable(List<ConsumerRecord<String, byte[]>> records, Deserializer<ConnectionEdge> edges) {
        Map<String, ConnectionEdge> table = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            if (r.value() == null) table.remove(r.key());
            else table.put(r.key(), edges.deserialize(r.topic(), r.value()));
        }
        return table;
    }
}
