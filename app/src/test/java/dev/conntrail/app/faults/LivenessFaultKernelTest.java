package dev.conntrail.app.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.broker.EmbeddedKafkaCluster;
import dev.conntrail.testkit.RealCluster;
import dev.conntrail.testkit.Root;
import dev.conntrail.topology.TopicNames;
import dev.conntrail.topology.TopologySettings;
import dev.conntrail.topology.run.TopologyApp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Design rule 5 (convergence) under faults, end to end and for real: the in-JVM broker, the topology
 * (in-process), the producer agent as a uid of its own with only its capabilities ({@code setpriv}), held TCP
 * connections of a child process, W = 2 s. After a fault of 5 W — the agent's traffic to the broker dropped by an
 * nftables rule (a network partition), or the broker stopped and started again on the same port — every held
 * connection's row is OPEN again within two windows and stays OPEN, no row of another socket of the test's port
 * is OPEN, and the connections opened and closed during the fault were CLOSED and are tombstoned no earlier than
 * design rule 4 says. Also design rules 4 and 5 with agents whose clocks are two minutes ahead and behind. Root
 * only (CI is root); docs/design.md, "Fault tests", lists what each checks and what it measured.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class LivenessFaultKernelTest {
    private static final Logger log = LoggerFactory.getLogger(LivenessFaultKernelTest.class);
    static final Duration W = Duration.ofSeconds(2);
    static final int HELD = 20;
    static final String CAPS = "bpf,perfmon,net_admin,sys_ptrace,dac_read_search,sys_admin";
    static final Path LOGS = Path.of("target", "fault-logs");

    static Path brokerDir;
    static Map<String, Object> brokerListeners;
    static EmbeddedKafkaCluster broker;
    static int brokerPort;
    static UidJvm agents;

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root): setpriv, nftables, eBPF");
        assumeTrue(onPath("setpriv") && onPath("nft") && onPath("python3"), "needs setpriv, nft and python3");
        brokerDir = Files.createTempDirectory("ct-fault-broker");
        brokerPort = freePort();
        int controller = freePort();
        brokerListeners = Map.of("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controller,
                "advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort, "controller.quorum.voters", "1@127.0.0.1:" + controller);
        broker = EmbeddedKafkaCluster.start(brokerDir, brokerListeners);
        RealCluster.registry(); // the shared Apicurio: the agent's JVM and this one must see the same schema ids
        agents = new UidJvm(UidJvm.unusedUid());
    }

    @AfterAll
    static void tearDown() {
        if (broker != null) broker.close();
        if (agents != null) agents.close();
        if (brokerDir != null) {
            try (var all = Files.walk(brokerDir)) {
                all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // temp dir
            }
        }
    }

    static boolean onPath(String tool) {
        for (String d : System.getenv("PATH").split(":")) if (Files.isExecutable(Path.of(d, tool))) return true;
        return false;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    // ---- the stack under test -------------------------------------------------------------------

    /** One producer agent (a host) in its own JVM. */
    record Agent(String host, UidJvm.Child child) {
    }

    /** Topology, table reader, held connections and agents of one test; closed in reverse. */
    static final class Stack implements AutoCloseable {
        final String prefix = "fault" + UUID.randomUUID().toString().substring(0, 8) + "-";
        final Map<String, Object> client = new HashMap<>();
        final Path state;
        final List<Agent> agents = new ArrayList<>();
        TopologyApp topology;
        TableWatch watch;
        HeldConnections held;
        /** This JVM's network namespace, where the held connections are: other namespaces of the host may use the same ports. */
        final long netns;

        Stack(int heldConnections) throws Exception {
            client.put("bootstrap.servers", broker.bootstrapServers());
            client.put("schema.registry.url", RealCluster.registry().url());
            state = Files.createTempDirectory("ct-fault-state");
            String link = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString(); // net:[4026531833]
            netns = Long.parseLong(link.substring(link.indexOf('[') + 1, link.indexOf(']')));
            topology = TopologyApp.start(options());
            watch = new TableWatch(client, prefix + "connections");
            held = new HeldConnections(heldConnections);
        }

        TopologyApp.Options options() {
            TopologySettings settings = TopologySettings.defaults(W).withTopics(new TopicNames(prefix + "tcp-events", prefix + "conntrack-nat",
                    prefix + "connections", prefix + "connections-dlq"));
            return new TopologyApp.Options(client, prefix + "app", "exactly_once_v2", state, 2, (short) 1, settings, -1, Duration.ofMinutes(2));
        }

        Agent agent(String name, String... extra) throws Exception {
            String host = prefix + name;
            List<String> args = new ArrayList<>(List.of("producer", "--bootstrap-servers", broker.bootstrapServers(),
                    "--schema-registry-url", RealCluster.registry().url(), "--host-id", host, "--window", W.toSeconds() + "s",
                    "--heartbeat-interval", "1s", "--metrics-port", "-1", "--events-topic", prefix + "tcp-events",
                    "--nat-topic", prefix + "conntrack-nat", "--conntrack-netns", "off"));
            args.addAll(List.of(extra));
            UidJvm.Child child = LivenessFaultKernelTest.agents.start(CAPS, LOGS.resolve(host + ".log"), "dev.conntrail.app.Main",
                    args.toArray(String[]::new));
            Agent a = new Agent(host, child);
            agents.add(a);
            assertThat(child.awaitLine("conntrail producer " + host + " (epoch", 90)).as("the agent starts: %s", child.lines).isTrue();
            assertThat(child.lines).as("eBPF as uid %d", LivenessFaultKernelTest.agents.uid).noneMatch(l -> l.contains("eBPF unavailable"));
            return a;
        }

        /** The socket tuples (lport, rport) of both ends of each held connection. */
        Set<List<Integer>> heldTuples() {
            Set<List<Integer>> s = new HashSet<>();
            for (int c : held.held) {
                s.add(List.of(c, held.port));
                s.add(List.of(held.port, c));
            }
            return s;
        }

        /**
         * The table is right for {@code host}: each held tuple has exactly one OPEN row, and no other socket of the
         * test's port has one (no phantom OPEN rows).
         */
        boolean converged(Map<String, Connection> table, String host, Set<List<Integer>> tuples) {
            Map<List<Integer>, Integer> open = new HashMap<>();
            for (Connection c : table.values()) {
                if (!ours(c, host) || c.getState() != ConnectionState.OPEN) continue;
                open.merge(List.of(c.getLport(), c.getRport()), 1, Integer::sum);
            }
            return open.keySet().equals(tuples) && open.values().stream().allMatch(n -> n == 1);
        }

        /** A row of {@code host} of a socket of the held connections' port, in this namespace, on 127.0.0.1. */
        boolean ours(Connection c, String host) {
            return c.getHost().equals(host) && c.getNetns() != null && c.getNetns() == netns && "127.0.0.1".equals(c.getLaddr())
                    && "127.0.0.1".equals(c.getRaddr()) && (c.getLport() == held.port || c.getRport() == held.port);
        }

        @Override
        public void close() throws Exception {
            for (Agent a : agents) a.child().close();
            if (held != null) held.close();
            if (watch != null) watch.close();
            if (topology != null) topology.close();
        }
    }

    /** Design rule 4 (windows): the boundary a CLOSED row's tombstone may come at, at the earliest. */
    static long boundary(Connection closed) {
        long w = W.toMillis();
        long applied = closed.getUpdatedAt().toEpochMilli();
        long closedAt = Math.min(closed.getClosedAt().toEpochMilli(), applied + TopologySettings.DEFAULT_CLOCK_TOLERANCE.toMillis());
        long due = Math.max(closedAt, applied) + w;
        return Math.floorDiv(due + w - 1, w) * w;
    }

    /**
     * Every connection opened and closed during the fault had both its rows CLOSED (by a CLOSE), and each
     * tombstone came no earlier than its boundary. Returns how many rows are tombstoned.
     */
    static int checkChurned(Stack s, String host, List<Integer> churned) {
        Set<List<Integer>> tuples = new HashSet<>();
        for (int c : churned) {
            tuples.add(List.of(c, s.held.port));
            tuples.add(List.of(s.held.port, c));
        }
        Map<String, Connection> lastRow = new HashMap<>();
        Set<List<Integer>> closed = new HashSet<>();
        int tombstoned = 0;
        for (TableWatch.Change ch : s.watch.changes()) {
            if (ch.row() != null) {
                Connection c = ch.row();
                if (!s.ours(c, host) || !tuples.contains(List.of(c.getLport(), c.getRport()))) continue;
                lastRow.put(ch.id(), c);
                if (c.getState() == ConnectionState.CLOSED && c.getCloseReason() == CloseReason.CLOSED) closed.add(List.of(c.getLport(), c.getRport()));
            } else if (lastRow.containsKey(ch.id())) {
                Connection before = lastRow.get(ch.id());
                assertThat(before.getState()).as("only a CLOSED row is tombstoned: %s", ch.id()).isEqualTo(ConnectionState.CLOSED);
                assertThat(ch.recordTime()).as("tombstone of %s not before its boundary (design rule 4)", ch.id()).isGreaterThanOrEqualTo(boundary(before));
                tombstoned++;
            }
        }
        assertThat(closed).as("both ends of every connection opened and closed during the fault ended CLOSED").isEqualTo(tuples);
        return tombstoned;
    }

    /** The tuples of {@code churned} connections of {@code host} that some row change showed CLOSED. */
    static Set<List<Integer>> closedTuples(Stack s, String host, List<Integer> churned) {
        Set<List<Integer>> closed = new HashSet<>();
        for (TableWatch.Change ch : s.watch.changes()) {
            Connection c = ch.row();
            if (c == null || !s.ours(c, host) || c.getState() != ConnectionState.CLOSED) continue;
            if (churned.contains(c.getLport()) || churned.contains(c.getRport())) closed.add(List.of(c.getLport(), c.getRport()));
        }
        return closed;
    }

    long hostLostChanges(Stack s, String host) {
        return s.watch.changes().stream().filter(c -> c.row() != null && c.row().getHost().equals(host)
                && c.row().getCloseReason() == CloseReason.HOST_LOST).count();
    }

    /** What every fault case checks once the fault is over (at {@code healedAt}); the time to converge, ms. */
    long convergesAndStays(Stack s, Agent a, List<Integer> churned, long healedAt, String fault) throws Exception {
        Set<List<Integer>> tuples = s.heldTuples();
        long at = s.watch.await(t -> s.converged(t, a.host(), tuples), Duration.ofSeconds(60));
        assertThat(at).as("%s: the held connections' rows OPEN again, no phantom OPEN row (agent log: %s)", fault,
                String.join("\n", a.child().lines)).isPositive();
        long took = at - healedAt;
        log.info("{}: converged {} ms after the fault ended ({} held connections, W = {} s)", fault, took, s.held.held.size(), W.toSeconds());
        // stays: for three windows every check of the table is still right
        long until = System.currentTimeMillis() + 3 * W.toMillis();
        while (System.currentTimeMillis() < until) {
            assertThat(s.converged(s.watch.table(), a.host(), tuples)).as("%s: the table stays right", fault).isTrue();
            Thread.sleep(50);
        }
        int tombstoned = checkChurned(s, a.host(), churned);
        assertThat(tombstoned).as("%s: the churned rows are tombstoned by now", fault).isEqualTo(2 * churned.size());
        assertThat(took).as("%s: converged within two windows of the fault's end", fault).isLessThanOrEqualTo(2 * W.toMillis());
        return took;
    }

    // ---- the faults -----------------------------------------------------------------------------

    @Test
    void aPartitionBetweenTheAgentAndTheBrokerHealsWithEveryHeldConnectionOpen() throws Exception {
        try (Stack s = new Stack(HELD)) {
            Agent a = s.agent("partition");
            assertThat(s.watch.await(t -> s.converged(t, a.host(), s.heldTuples()), Duration.ofSeconds(60))).as("rows OPEN").isPositive();
            Thread.sleep(2 * W.toMillis());
            List<Integer> churned;
            long healedAt;
            long start = System.currentTimeMillis();
            try (NftDrop drop = new NftDrop(agents.uid, brokerPort)) {
                log.info("partition: uid {} cut off from port {} (its connections from ports {} too)", agents.uid, brokerPort, drop.sourcePorts);
                Thread.sleep(W.toMillis());
                churned = s.held.churn(3);
                Thread.sleep(W.toMillis());
                s.held.open(2);
                Thread.sleep(Math.max(0, start + 5 * W.toMillis() - System.currentTimeMillis()));
            }
            healedAt = System.currentTimeMillis();
            convergesAndStays(s, a, churned, healedAt, "partition " + 5 * W.toSeconds() + " s");
            assertThat(s.watch.changes().stream().filter(c -> c.row() != null && c.row().getHost().equals(a.host())
                    && c.row().getCloseReason() == CloseReason.HOST_LOST && c.row().getClosedAt().toEpochMilli() < healedAt))
                    .as("the topology judged the cut-off host lost during the partition (the fault bit)").isNotEmpty();
            assertThat(a.child().count("publishing stalled for")).as("the agent resynced after the stall").isPositive();
        }
    }

    @Test
    void aBrokerDownAndBackOnTheSamePortLeavesEveryHeldConnectionOpen() throws Exception {
        try (Stack s = new Stack(HELD)) {
            Agent a = s.agent("brokerdown");
            assertThat(s.watch.await(t -> s.converged(t, a.host(), s.heldTuples()), Duration.ofSeconds(60))).as("rows OPEN").isPositive();
            Thread.sleep(2 * W.toMillis());
            List<Integer> churned;
            long start = System.currentTimeMillis();
            broker.close();
            try {
                Thread.sleep(W.toMillis());
                churned = s.held.churn(3);
                Thread.sleep(W.toMillis());
                s.held.open(2);
                Thread.sleep(Math.max(0, start + 5 * W.toMillis() - System.currentTimeMillis()));
            } finally {
                broker = EmbeddedKafkaCluster.start(brokerDir, brokerListeners);
            }
            long healedAt = System.currentTimeMillis();
            convergesAndStays(s, a, churned, healedAt, "broker down " + 5 * W.toSeconds() + " s");
            assertThat(hostLostChanges(s, a.host())).as("the topology judged no host lost on its own outage").isZero();
        }
    }

    @Test
    void agentClocksMinutesAheadAndBehindKeepWindowsAndLivenessOnTheTopologysClock() throws Exception {
        Duration skew = Duration.ofMinutes(2);
        try (Stack s = new Stack(3)) {
            Agent ahead = s.agent("ahead", "--clock-offset", skew.toSeconds() + "s");
            Agent behind = s.agent("behind", "--clock-offset", "-" + skew.toSeconds() + "s");
            for (Agent a : List.of(ahead, behind)) {
                assertThat(s.watch.await(t -> s.converged(t, a.host(), s.heldTuples()), Duration.ofSeconds(60))).as("rows OPEN").isPositive();
            }
            List<Integer> churned = s.held.churn(2);
            long closedAt = System.currentTimeMillis();
            // design rule 4: each churned row tombstoned a window or two after the close was applied, whatever the agent's clock
            for (Agent a : List.of(ahead, behind)) {
                // first the CLOSED rows (read before the table, so the table read after them holds them unless tombstoned)
                assertThat(s.watch.await(t -> closedTuples(s, a.host(), churned).size() == 2 * churned.size(), Duration.ofSeconds(30)))
                        .as("%s: churned rows CLOSED", a.host()).isPositive();
                long gone = s.watch.await(t -> t.values().stream().noneMatch(c -> s.ours(c, a.host())
                        && (churned.contains(c.getLport()) || churned.contains(c.getRport()))), Duration.ofSeconds(30));
                assertThat(gone).as("%s: churned rows tombstoned", a.host()).isPositive();
                log.info("clock {}: churned rows tombstoned {} ms after the close (W = {} s)", a.host().endsWith("ahead") ? "2 min ahead"
                        : "2 min behind", gone - closedAt, W.toSeconds());
                assertThat(gone - closedAt).as("%s: within 2 W + the tolerance of the close, not minutes", a.host())
                        .isLessThanOrEqualTo(2 * W.toMillis() + TopologySettings.DEFAULT_CLOCK_TOLERANCE.toMillis() + 1000);
                assertThat(checkChurned(s, a.host(), churned)).as("%s: churned rows tombstoned: %s", a.host(), s.watch.changes().stream()
                        .filter(c -> c.row() == null ? c.id().startsWith(a.host() + "|" + s.netns + "|127.0.0.1|") : s.ours(c.row(), a.host())
                                && (churned.contains(c.row().getLport()) || churned.contains(c.row().getRport())))
                        .map(c -> c.id() + "=" + (c.row() == null ? "TOMBSTONE" : c.row().getState()) + "@" + c.recordTime()).toList())
                        .isEqualTo(2 * churned.size());
            }
            Connection aheadClose = s.watch.changes().stream().map(TableWatch.Change::row)
                    .filter(c -> c != null && s.ours(c, ahead.host()) && c.getState() == ConnectionState.CLOSED).findFirst().orElseThrow();
            assertThat(aheadClose.getClosedAt().toEpochMilli() - aheadClose.getUpdatedAt().toEpochMilli())
                    .as("the row keeps the agent's own close time").isGreaterThan(skew.toMillis() - 10_000);
            // design rule 5: a topology restart after 3 W down, its backlog read first: no host judged lost
            s.topology.close();
            s.topology = null;
            Thread.sleep(4 * W.toMillis());
            s.topology = TopologyApp.start(s.options());
            long until = System.currentTimeMillis() + 5 * W.toMillis();
            Thread.sleep(Math.max(0, until - System.currentTimeMillis()));
            for (Agent a : List.of(ahead, behind)) {
                assertThat(hostLostChanges(s, a.host())).as("%s judged lost", a.host()).isZero();
                assertThat(s.converged(s.watch.table(), a.host(), s.heldTuples())).as("%s rows OPEN", a.host()).isTrue();
            }
        }
    }
}
