package dev.conntrail.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionEdge;
import dev.conntrail.avro.EdgeState;
import dev.conntrail.broker.EmbeddedKafkaCluster;
import dev.conntrail.producer.agent.AgentOptions;
import dev.conntrail.producer.agent.ProducerAgent;
import dev.conntrail.producer.conntrack.ConntrackReader;
import dev.conntrail.producer.ns.NetNamespace;
import dev.conntrail.producer.ns.NetnsEnterer;
import dev.conntrail.producer.ns.NetnsFilter;
import dev.conntrail.testkit.TopicToEnd;
import dev.conntrail.testkit.RealCluster;
import dev.conntrail.testkit.Root;
import dev.conntrail.topology.TopicNames;
import dev.conntrail.topology.TopologySettings;
import dev.conntrail.topology.graph.GraphTopics;
import dev.conntrail.topology.run.TopologyApp;
import dev.conntrail.topology.run.ValueSerdes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The service graph end to end on this kernel: two network namespaces made here ({@code graph-<tag>-a}, {@code -b},
 * joined by a veth), one producer agent per namespace ({@code --netns}, each its own host id), a client in A that
 * connects to port 80 of B, which B's nftables DNAT sends to a listener on another port. Both agents publish to the
 * in-JVM broker and the shared registry; the topology (in-process, {@code --service-graph}) joins B's NAT entry to
 * the server's row and pairs the two ends into one edge. Root (CI is root).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ServiceGraphKernelTest {
    private static final Duration W = Duration.ofSeconds(2);

    @Test
    void twoAgentsEachWatchingItsNamespacePairThroughADnat() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        EmbeddedKafkaCluster broker = RealCluster.broker();
        String tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        String prefix = "graph" + tag + "-";
        int n = ThreadLocalRandom.current().nextInt(1, 250);
        String nsA = "graph-" + tag + "-a";
        String nsB = "graph-" + tag + "-b";
        String v4a = "10.202." + n + ".1";
        String v4b = "10.202." + n + ".2";
        TopicNames topics = new TopicNames(prefix + "tcp-events", prefix + "conntrack-nat", prefix + "connections", prefix + "connections-dlq");
        GraphTopics graph = new GraphTopics(prefix + "connection-ends", prefix + "connection-edges", prefix + "service-graph");
        Map<String, Object> client = new HashMap<>(RealCluster.clientConfig());
        List<AutoCloseable> open = new ArrayList<>();
        try {
            sh("ip", "netns", "add", nsA);
            sh("ip", "netns", "add", nsB);
            sh("ip", "link", "add", "gv" + tag + "a", "netns", nsA, "type", "veth", "peer", "name", "gv" + tag + "b", "netns", nsB);
            for (String[] side : new String[][] {{nsA, "gv" + tag + "a", v4a}, {nsB, "gv" + tag + "b", v4b}}) {
                sh("ip", "-n", side[0], "link", "set", "lo", "up");
                sh("ip", "-n", side[0], "addr", "add", side[2] + "/24", "dev", side[1]);
                sh("ip", "-n", side[0], "link", "set", side[1], "up");
            }
            long inoA = inode(nsA);
            long inoB = inode(nsB);
            NetnsEnterer enter = new NetnsEnterer();
            open.add(enter);
            ServerSocketChannel server = inside(enter, nsB, () -> {
                try {
                    ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.INET);
                    s.bind(new InetSocketAddress(v4b, 0));
                    return s;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            open.add(server);
            int serverPort = ((InetSocketAddress) server.getLocalAddress()).getPort();
            sh("ip", "netns", "exec", nsB, "nft", "add table ip graphnat; add chain ip graphnat pre { type nat hook prerouting priority -100 ; };"
                    + " add rule ip graphnat pre tcp dport 80 dnat to " + v4b + ":" + serverPort);

            TopologySettings settings = TopologySettings.defaults(W).withTopics(topics);
            TopologyApp.Options options = new TopologyApp.Options(client, prefix + "app", "exactly_once_v2",
                    Files.createTempDirectory("conntrail-graph-kt"), 2, (short) 1, settings, -1, Duration.ofMinutes(2)).withServiceGraph(graph);
            TopologyApp topology = TopologyApp.start(options);
            open.add(topology);
            ProducerAgent agentA = ProducerAgent.start(agent(client, prefix + "host-a", topics, inoA));
            open.add(agentA);
            ProducerAgent agentB = ProducerAgent.start(agent(client, prefix + "host-b", topics, inoB));
            open.add(agentB);

            SocketChannel clientSocket = inside(enter, nsA, () -> {
                try {
                    return SocketChannel.open(StandardProtocolFamily.INET);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            open.add(clientSocket);
            clientSocket.connect(new InetSocketAddress(v4b, 80));
            SocketChannel accepted = server.accept();
            open.add(accepted);
            int clientPort = ((InetSocketAddress) clientSocket.getLocalAddress()).getPort();

            Deserializer<ConnectionEdge> edges = ValueSerdes.registry().forValues(ConnectionEdge.class, client).deserializer();
            Predicate<ConnectionEdge> ours = e -> e.getClient().getLport() == clientPort && e.getServer().getLport() == serverPort;
            ConnectionEdge edge = await(broker, graph.edges(), edges, Duration.ofSeconds(90), ours, e -> e.getState() == EdgeState.OPEN);
            assertThat(edge.getClient().getHost()).isEqualTo(prefix + "host-a");
            assertThat(edge.getClient().getNetns()).isEqualTo(inoA);
            assertThat(edge.getClient().getRaddr()).isEqualTo(v4b);
            assertThat(edge.getClient().getRport()).isEqualTo(80); // the address it dialled, before B's DNAT
            assertThat(edge.getServer().getHost()).isEqualTo(prefix + "host-b");
            assertThat(edge.getServer().getNetns()).isEqualTo(inoB);
            assertThat(edge.getServer().getRaddr()).isEqualTo(v4a);
            assertThat(edge.getClient().getPid()).isEqualTo((int) ProcessHandle.current().pid());

            // each agent published only its own namespace's sockets
            Deserializer<Connection> rows = ValueSerdes.registry().forValues(Connection.class, client).deserializer();
            for (ConsumerRecord<String, byte[]> r : read(broker, topics.connections(), Duration.ofSeconds(3))) {
                if (r.value() == null) continue;
                Connection row = rows.deserialize(r.topic(), r.value());
                assertThat(row.getNetns()).as("row %s", r.key()).isEqualTo(row.getHost().endsWith("host-a") ? inoA : inoB);
            }

            // conntrail table --edges shows the pair of workloads and the edge, in both formats
            String[] table = {"table", "--edges", "--duration", "6s", "--bootstrap-servers", String.valueOf(client.get("bootstrap.servers")),
                    "--schema-registry-url", String.valueOf(client.get("schema.registry.url")), "--edges-topic", graph.edges(),
                    "--service-graph-topic", graph.workloads()};
            ChildConntrail.Run json = ChildConntrail.run(90, concat(table, "--format", "json"));
            assertThat(json.exit()).as(json.err()).isZero();
            assertThat(json.outLines()).anyMatch(l -> l.startsWith("{\"record\":\"ConnectionEdge\",\"id\":")
                    && l.contains("\"lport\":" + serverPort) && l.contains("\"host\":\"" + prefix + "host-b\""));
            assertThat(json.outLines()).anyMatch(l -> l.startsWith("{\"record\":\"WorkloadEdge\",\"id\":\"" + prefix + "host-a|" + prefix
                    + "host-b|") && l.contains("\"open\":1"));
            ChildConntrail.Run text = ChildConntrail.run(90, concat(table, "--format", "table"));
            assertThat(text.exit()).as(text.err()).isZero();
            assertThat(text.out()).contains("1 workload pairs").contains("1 edges (1 open, 0 closed)")
                    .contains(prefix + "host-a " + inoA).contains(v4b + ":80");

            accepted.close();
            clientSocket.close();
            ConnectionEdge closed = await(broker, graph.edges(), edges, Duration.ofSeconds(60), ours, e -> e.getState() == EdgeState.CLOSED);
            assertThat(closed.getClosedAt()).isNotNull();
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                try {
                    open.get(i).close();
                } catch (Exception e) {
                    // closing the rest matters more
                }
            }
            quiet("ip", "netns", "del", nsA);
            quiet("ip", "netns", "del", nsB);
            broker.deleteTopics(topics.events(), topics.nat(), topics.connections(), topics.deadLetters(), graph.ends(), graph.edges(),
                    graph.workloads());
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static AgentOptions agent(Map<String, Object> client, String host, TopicNames topics, long netns) {
        return AgentOptions.defaults(host, client).withTopics(topics.events(), topics.nat())
                .withIntervals(Duration.ofMillis(500), W, Duration.ofMillis(200)).withMetricsPort(-1)
                .withConntrack(ConntrackReader.Scope.ALL).withNetns(NetnsFilter.of(Set.of(netns)));
    }

    /** The latest value of an edge {@code which} picks, once it satisfies {@code until}. */
    private static ConnectionEdge await(EmbeddedKafkaCluster broker, String topic, Deserializer<ConnectionEdge> edges, Duration patience,
            Predicate<ConnectionEdge> which, Predicate<ConnectionEdge> until) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        Map<String, ConnectionEdge> table = new LinkedHashMap<>();
        while (System.nanoTime() < deadline) {
            table.clear();
            for (ConsumerRecord<String, byte[]> r : read(broker, topic, Duration.ofSeconds(1))) {
                if (r.value() == null) table.remove(r.key());
                else table.put(r.key(), edges.deserialize(topic, r.value()));
            }
            List<ConnectionEdge> found = table.values().stream().filter(which).toList();
            assertThat(found).as("one edge for the connection").hasSizeLessThanOrEqualTo(1);
            if (!found.isEmpty() && until.test(found.get(0))) return found.get(0);
            Thread.sleep(500);
        }
        throw new AssertionError("no such edge in " + topic + " within " + patience + "; edges: " + table);
    }

    /** Every committed record of {@code topic} so far (read_committed: up to the last stable offset). */
    private static List<ConsumerRecord<String, byte[]>> read(EmbeddedKafkaCluster broker, String topic, Duration patience) {
        Map<String, Object> p = new HashMap<>(broker.clientConfig());
        p.put("isolation.level", "read_committed");
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            return TopicToEnd.read(c, topic, patience);
        }
    }

    private static <T> T inside(NetnsEnterer enter, String name, Supplier<T> work) {
        return enter.inside(new NetNamespace(inode(name), List.of(Path.of("/run/netns", name)), List.of(), name), work);
    }

    private static long inode(String name) {
        try {
            return ((Number) Files.getAttribute(Path.of("/run/netns", name), "unix:ino")).longValue();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    private static void quiet(String... cmd) {
        try {
            sh(cmd);
        } catch (Exception e) {
            // cleaning up what may not exist
        }
    }
}
