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
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the fault tests run on, and what each checks afterwards: the in-JVM broker (stopped and started again on the
 * same port and data by a test), the topology in-process, producer agents each in a JVM of its own as a uid no account
 * uses with only the agent's six capabilities ({@code setpriv}), a child process holding quiet loopback connections,
 * W = 2 s. Root only (CI is root). A test class gets it with {@code @ExtendWith(FaultBed.class)}: started before the
 * class's first test, stopped after its last.
 */
final class FaultBed implements BeforeAllCallback, AfterAllCallback {
    private static final Logger log = LoggerFactory.getLogger(FaultBed.class);
    static final Duration W = Duration.ofSeconds(2);
    static final int HELD = 20;
    static final String CAPS = "bpf,perfmon,net_admin,sys_ptrace,dac_read_search,sys_admin";
    static final Path LOGS = Path.of("target", "fault-logs");

    static Path brokerDir;
    static Map<String, Object> brokerListeners;
    static EmbeddedKafkaCluster broker;
    static int brokerPort;
    static UidJvm agents;

    FaultBed() {
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    private static void start() throws Exception {
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

    private static void stop() {
        if (broker != null) broker.close();
        broker = null;
        if (agents != null) agents.close();
        agents = null;
        if (brokerDir != null) deleteTree(brokerDir);
    }

    static void deleteTree(Path dir) {
        try (var all = Files.walk(dir)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind
        }
    }

    static void stopBroker() {
        broker.close();
    }

    /** The broker again, on the same port and data. */
    static void startBroker() throws Exception {
        broker = EmbeddedKafkaCluster.start(brokerDir, brokerListeners);
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

    /** One producer agent (a host) in its own JVM; {@code startedAt}: when it said it had started (wall clock, ms). */
    record Agent(String host, UidJvm.Child child, long startedAt) {
        /** SIGKILL: no detach, no flush, nothing more published. */
        void kill() throws InterruptedException {
            child.process.destroyForcibly();
            assertThat(child.process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).as("the agent died").isTrue();
        }
    }

    /** Topology, table reader, held connections and agents of one test; closed in reverse. */
    static final class Stack implements AutoCloseable {
        final String prefix = "fault" + UUID.randomUUID().toString().substring(0, 8) + "-";
        final Map<String, Object> client = new HashMap<>();
        final Path state;
        final List<Agent> agents = new ArrayList<>();
        /** Every agent JVM started, closed (SIGTERM) at the end. */
        final List<UidJvm.Child> children = new ArrayList<>();
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

        /** Starts the agent of host {@code prefix + name} (again, after a kill: a new epoch of the same host). */
        Agent agent(String name, String... extra) throws Exception {
            String host = prefix + name;
            List<String> args = new ArrayList<>(List.of("producer", "--bootstrap-servers", broker.bootstrapServers(),
                    "--schema-registry-url", RealCluster.registry().url(), "--host-id", host, "--window", W.toSeconds() + "s",
                    "--heartbeat-interval", "1s", "--events-topic", prefix + "tcp-events",
                    "--nat-topic", prefix + "conntrack-nat", "--conntrack-netns", "off"));
            if (!List.of(extra).contains("--metrics-port")) args.addAll(List.of("--metrics-port", "-1"));
            args.addAll(List.of(extra));
            long run = agents.stream().filter(a -> a.host().equals(host)).count();
            UidJvm.Child child = FaultBed.agents.start(CAPS, LOGS.resolve(host + (run == 0 ? "" : "-" + run) + ".log"), "dev.conntrail.app.Main",
                    args.toArray(String[]::new));
            children.add(child);
            assertThat(child.awaitLine("conntrail producer " + host + " (epoch", 90)).as("the agent starts: %s", child.lines).isTrue();
            Agent a = new Agent(host, child, System.currentTimeMillis());
            agents.add(a);
            assertThat(child.lines).as("eBPF as uid %d", FaultBed.agents.uid).noneMatch(l -> l.contains("eBPF unavailable"));
            return a;
        }

        /** The socket tuples (lport, rport) of both ends of each held connection. */
        Set<List<Integer>> heldTuples() {
            return tuples(held.held);
        }

        /** The socket tuples (lport, rport) of both ends of the connections of these client ports. */
        Set<List<Integer>> tuples(List<Integer> clients) {
            Set<List<Integer>> s = new HashSet<>();
            for (int c : clients) {
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
            Map<List<Integer>, Integer> open = openTuples(table, host);
            return open.keySet().equals(tuples) && open.values().stream().allMatch(n -> n == 1);
        }

        /** How many OPEN rows each tuple of {@code host} has in {@code table}. */
        Map<List<Integer>, Integer> openTuples(Map<String, Connection> table, String host) {
            Map<List<Integer>, Integer> open = new HashMap<>();
            for (Connection c : table.values()) {
                if (!ours(c, host) || c.getState() != ConnectionState.OPEN) continue;
                open.merge(List.of(c.getLport(), c.getRport()), 1, Integer::sum);
            }
            return open;
        }

        /** A row of {@code host} of a socket of the held connections' port, in this namespace, on 127.0.0.1. */
        boolean ours(Connection c, String host) {
            return c.getHost().equals(host) && c.getNetns() != null && c.getNetns() == netns && "127.0.0.1".equals(c.getLaddr())
                    && "127.0.0.1".equals(c.getRaddr()) && (c.getLport() == held.port || c.getRport() == held.port);
        }

        @Override
        public void close() throws Exception {
            for (UidJvm.Child c : children) c.close();
            if (held != null) held.close();
            if (watch != null) watch.close();
            if (topology != null) topology.close();
            deleteTree(state);
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
     * Every row change of {@code tuples} of {@code host} before a tombstone is CLOSED, and each tombstone came no
     * earlier than its boundary (design rule 4). Returns the tuples some change showed CLOSED with {@code reason}
     * (any reason: null), and counts the tombstones in {@code tombstoned}.
     */
    static Set<List<Integer>> closedAndTombstoned(Stack s, String host, Set<List<Integer>> tuples, CloseReason reason, int[] tombstoned) {
        Map<String, Connection> lastRow = new HashMap<>();
        Set<List<Integer>> closed = new HashSet<>();
        for (TableWatch.Change ch : s.watch.changes()) {
            if (ch.row() != null) {
                Connection c = ch.row();
                if (!s.ours(c, host) || !tuples.contains(List.of(c.getLport(), c.getRport()))) continue;
                lastRow.put(ch.id(), c);
                if (c.getState() == ConnectionState.CLOSED && (reason == null || c.getCloseReason() == reason)) {
                    closed.add(List.of(c.getLport(), c.getRport()));
                }
            } else if (lastRow.containsKey(ch.id())) {
                Connection before = lastRow.get(ch.id());
                assertThat(before.getState()).as("only a CLOSED row is tombstoned: %s", ch.id()).isEqualTo(ConnectionState.CLOSED);
                assertThat(ch.recordTime()).as("tombstone of %s not before its boundary (design rule 4)", ch.id()).isGreaterThanOrEqualTo(boundary(before));
                tombstoned[0]++;
            }
        }
        return closed;
    }

    /**
     * Every connection opened and closed during the fault had both its rows CLOSED (by a CLOSE), and each
     * tombstone came no earlier than its boundary. Returns how many rows are tombstoned.
     */
    static int checkChurned(Stack s, String host, List<Integer> churned) {
        int[] tombstoned = {0};
        Set<List<Integer>> tuples = s.tuples(churned);
        assertThat(closedAndTombstoned(s, host, tuples, CloseReason.CLOSED, tombstoned))
                .as("both ends of every connection opened and closed during the fault ended CLOSED").isEqualTo(tuples);
        return tombstoned[0];
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

    static long hostLostChanges(Stack s, String host) {
        return s.watch.changes().stream().filter(c -> c.row() != null && c.row().getHost().equals(host)
                && c.row().getCloseReason() == CloseReason.HOST_LOST).count();
    }

    /** Waits until the agent's held connections have their rows OPEN and nothing else of the test's port is OPEN. */
    static void awaitHeldOpen(Stack s, Agent a) throws InterruptedException {
        assertThat(s.watch.await(t -> s.converged(t, a.host(), s.heldTuples()), Duration.ofSeconds(60)))
                .as("rows OPEN (agent log: %s)", String.join("\n", a.child().lines)).isPositive();
    }

    /** The row changes of the first few OPEN rows of {@code host} that are not of {@code tuples}, for a failure's message. */
    static String phantomHistory(Stack s, String host, Set<List<Integer>> tuples) {
        Set<String> ids = new java.util.LinkedHashSet<>();
        for (Map.Entry<String, Connection> e : s.watch.table().entrySet()) {
            Connection c = e.getValue();
            if (s.ours(c, host) && c.getState() == ConnectionState.OPEN && !tuples.contains(List.of(c.getLport(), c.getRport()))) ids.add(e.getKey());
            if (ids.size() == 4) break;
        }
        StringBuilder b = new StringBuilder();
        for (TableWatch.Change ch : s.watch.changes()) {
            if (ids.contains(ch.id())) b.append("\n  ").append(ch.id()).append(" @").append(ch.recordTime()).append(" read ").append(ch.readAt())
                    .append(": ").append(ch.row());
        }
        return b.toString();
    }

    /** What every fault case checks once the fault is over (at {@code healedAt}); the time to converge, ms. */
    static long convergesAndStays(Stack s, Agent a, List<Integer> churned, long healedAt, String fault) throws Exception {
        return convergesAndStays(s, a, churned, healedAt, fault, 2);
    }

    /** As above, converged within {@code windows} W of {@code healedAt}. */
    static long convergesAndStays(Stack s, Agent a, List<Integer> churned, long healedAt, String fault, int windows) throws Exception {
        Set<List<Integer>> tuples = s.heldTuples();
        long at = s.watch.await(t -> s.converged(t, a.host(), tuples), Duration.ofSeconds(60));
        assertThat(at).as("%s: the held connections' rows OPEN again, no phantom OPEN row (held: %s; phantom rows' changes: %s; agent log: %s)",
                fault, tuples, phantomHistory(s, a.host(), tuples), String.join("\n", a.child().lines)).isPositive();
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
        assertThat(took).as("%s: converged within %d windows of the fault's end", fault, windows).isLessThanOrEqualTo(windows * W.toMillis());
        return took;
    }
}
