package dev.conntrail.app.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.app.RowsFromStart;
import dev.conntrail.avro.Connection;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.ContainerState;
import org.testcontainers.containers.DockerComposeContainer;

/**
 * The compose demo as users start it, for real: docker-compose.yml brought up by Testcontainers (Debian's
 * docker-compose v1) with the images docker/build-images makes here — Kafka from the Maven Central jars, Apicurio
 * in the schema registry's place, conntrail from target/conntrail.jar — and the broker, the registry, the topology
 * and the producer (ksqlDB has no image here). The producer container is not privileged and holds only the
 * capabilities deploy/ documents: its process's effective set is read from /proc. A loopback connection this JVM
 * opens and closes must come back from the host's side of the stack as an OPEN then a CLOSED row of
 * {@code connections}, read with our deserializer and shown by {@code conntrail table}. And {@code conntrail doctor}
 * in the same container setting says what each capability taken away costs. Root only (CI is root); runs under
 * failsafe, after the jar is packaged.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class ComposeDemoKernelTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String BOOTSTRAP = "localhost:29092";
    /** Capability numbers (linux/capability.h) of what deploy/ grants. */
    private static final Map<Integer, String> DOCUMENTED = Map.of(2, "DAC_READ_SEARCH", 12, "NET_ADMIN",
            19, "SYS_PTRACE", 21, "SYS_ADMIN", 38, "PERFMON", 39, "BPF");

    private static DockerEngine engine;
    private static Map<String, String> images;
    private static boolean namesBpfCaps;

    @BeforeAll
    static void engineAndImages() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for dockerd and eBPF (CI runs as root)");
        assertThat(ROOT.resolve("app/target/conntrail.jar")).as("packaged jar (run under failsafe: ./mvnw verify)").isRegularFile();
        engine = DockerEngine.running();
        images = DemoImages.build(ROOT);
        namesBpfCaps = DockerEngine.knowsCapability(images.get("CONNTRAIL_IMAGE"), "BPF");
    }

    @AfterAll
    static void stopEngine() throws Exception {
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void aHostConnectionComesBackOpenThenClosedFromTheDemoStack() throws Exception {
        Map<String, String> env = new HashMap<>(images);
        if (!namesBpfCaps) {
            // docker-compose.yml says why: CAP_SYS_ADMIN, already granted, covers them since Linux 5.8
            env.put("PRODUCER_CAP_BPF", "CAP_SYS_ADMIN");
            env.put("PRODUCER_CAP_PERFMON", "cap_sys_admin");
        }
        env.put("PRODUCER_METRICS_PORT", Integer.toString(freePort()));
        for (int port : new int[] {29092, 8081, 9465}) {
            assertThat(isFree(port)).as("host port %d, which the demo publishes, is free", port).isTrue();
        }
        DockerComposeContainer<?> demo = new DockerComposeContainer<>("conntrail-demo-ci",
                ROOT.resolve("docker-compose.yml").toFile())
                .withLocalCompose(true).withPull(false).withEnv(env)
                .withServices("kafka", "schema-registry", "topology", "producer");
        try {
            demo.start();
            ContainerState producer = demo.getContainerByServiceName("producer_1").orElseThrow();
            await("producer started").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> producer.getLogs().contains("ProducerAgent - conntrail producer"));
            assertThat(producer.getLogs()).contains("eBPF [", "snapshots by bpf_iter")
                    .doesNotContain("no permission to load BPF", "grant CAP_");
            // docker inspect, not docker-java's: its Capability enum cannot read the CAP_ spelling used above
            String[] inspected = DockerEngine.inspect(producer.getContainerId(),
                    "{{.HostConfig.Privileged}} {{.State.Pid}}").split(" ");
            assertThat(inspected[0]).as("producer privileged").isEqualTo("false");
            assertThat(effectiveCapabilities(Long.parseLong(inspected[1])))
                    .as("the producer process's effective capabilities").isEqualTo(containerCapabilities());

            String registry = "http://localhost:8081" + env.getOrDefault("SCHEMA_REGISTRY_PATH", "");
            try {
                openAndCloseAndExpectRows(registry);
            } catch (AssertionError | RuntimeException e) {
                ContainerState topology = demo.getContainerByServiceName("topology_1").orElseThrow();
                throw new AssertionError(e.getMessage() + "\n--- producer log:\n" + tail(producer.getLogs())
                        + "\n--- topology log:\n" + tail(topology.getLogs()), e);
            }
        } finally {
            demo.stop();
        }
    }

    /**
     * {@code conntrail doctor} in the producer's container setting (host network and pids, BTF and tracefs), with
     * the documented capabilities and then with each one taken away: what it costs and what the agent says.
     */
    @Test
    void doctorInTheProducersContainerSaysWhatEachMissingCapabilityCosts() throws Exception {
        Map<String, List<String>> expected = new LinkedHashMap<>();
        expected.put("NET_ADMIN", List.of("ctnetlink           unavailable", "grant CAP_NET_ADMIN", "exit 1"));
        expected.put("SYS_PTRACE", List.of("CAP_SYS_PTRACE      degraded", "grant CAP_SYS_PTRACE"));
        expected.put("DAC_READ_SEARCH", List.of("CAP_DAC_READ_SEARCH degraded", "grant CAP_DAC_READ_SEARCH"));
        if (namesBpfCaps) {
            expected.put("BPF", List.of("no permission to load BPF programs", "grant CAP_BPF", "exit 1"));
            expected.put("PERFMON", List.of("CAP_PERFMON         degraded", "grant CAP_PERFMON", "exit 1"));
            expected.put("SYS_ADMIN", List.of("CAP_SYS_ADMIN       degraded", "grant CAP_SYS_ADMIN", "exit 1"));
        } else {
            // here CAP_SYS_ADMIN also stands for CAP_BPF and CAP_PERFMON: without it no eBPF at all
            expected.put("SYS_ADMIN", List.of("no permission to load BPF programs", "CAP_SYS_ADMIN       degraded",
                    "grant CAP_SYS_ADMIN", "exit 1"));
        }
        Set<String> all = containerCapabilities();
        assertThat(doctor(all)).contains("VERDICT  full fidelity (exit 0)", "exit 0").doesNotContain("degraded");
        for (Map.Entry<String, List<String>> e : expected.entrySet()) {
            Set<String> fewer = new TreeSet<>(all);
            fewer.remove(e.getKey());
            assertThat(doctor(fewer)).as("doctor without CAP_%s", e.getKey()).contains(e.getValue());
        }
    }

    private static String tail(String log) {
        return log.length() <= 20_000 ? log : log.substring(log.length() - 20_000);
    }

    private static Set<String> containerCapabilities() {
        Set<String> caps = new TreeSet<>(DOCUMENTED.values());
        if (!namesBpfCaps) {
            caps.removeAll(Set.of("BPF", "PERFMON"));
        }
        return caps;
    }

    private static String doctor(Set<String> caps) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker", "run", "--rm", "--name", "conntrail-demo-doctor-" + ProcessHandle.current().pid(),
                "--network", "host", "--pid", "host", "--cap-drop", "ALL",
                "-v", "/sys/kernel/btf:/sys/kernel/btf:ro", "-v", "/sys/kernel/tracing:/sys/kernel/tracing"));
        caps.forEach(c -> cmd.addAll(List.of("--cap-add", c)));
        cmd.addAll(List.of(images.get("CONNTRAIL_IMAGE"), "doctor"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("doctor finished").isTrue();
        return out + "\nexit " + p.exitValue();
    }

    private static void openAndCloseAndExpectRows(String registry) throws Exception {
        List<Connection> seen = new ArrayList<>();
        int clientPort;
        int serverPort;
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             KafkaConsumer<String, Object> rows = RowsFromStart.open(BOOTSTRAP, registry, Duration.ofSeconds(60))) {
            serverPort = server.getLocalPort();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), serverPort); Socket accepted = server.accept()) {
                clientPort = client.getLocalPort();
                await("OPEN row").atMost(Duration.ofSeconds(90)).until(() -> RowsFromStart.poll(rows, seen, Duration.ofMillis(500)).stream()
                        .anyMatch(c -> RowsFromStart.loopback(c, clientPort, serverPort) && "OPEN".equals(c.getState().name())));
            }
            await("CLOSED row").atMost(Duration.ofSeconds(90)).until(() -> RowsFromStart.poll(rows, seen, Duration.ofMillis(500)).stream()
                    .anyMatch(c -> RowsFromStart.loopback(c, clientPort, serverPort) && "CLOSED".equals(c.getState().name())));
        }
        List<Connection> ours = seen.stream().filter(c -> RowsFromStart.loopback(c, clientPort, serverPort)).toList();
        assertThat(ours.get(0).getState().name()).isEqualTo("OPEN");
        assertThat(ours.get(ours.size() - 1).getState().name()).isEqualTo("CLOSED");
        assertThat(ours.get(0).getPid()).as("pid seen through the host pid namespace").isEqualTo((int) ProcessHandle.current().pid());
        assertThat(ours.get(0).getDirection().name()).isEqualTo("OUTGOING");

        List<String> table = tableJson(registry, "port=" + serverPort).stream().filter(l -> l.startsWith("{")).toList();
        assertThat(table).as("--filter port=%d: only rows of that port", serverPort)
                .allMatch(l -> l.contains("port\":" + serverPort + ",")
                        || l.endsWith("\"deleted\":true}") && l.contains("|" + serverPort + "|"));
        List<String> ourLines = table.stream().filter(l -> l.contains("\"lport\":" + clientPort + ",")
                && l.contains("\"rport\":" + serverPort + ",")).toList();
        assertThat(ourLines).as("conntrail table --format json, lines of our connection").isNotEmpty();
        assertThat(ourLines.get(0)).contains("\"state\":\"OPEN\"");
        assertThat(ourLines).anyMatch(l -> l.contains("\"state\":\"CLOSED\""));

        // the demo's topology runs --service-graph: both ends are on this host, so they pair into one edge
        List<String> edges = table(registry, "--edges").stream().filter(l -> l.startsWith("{\"record\":\"ConnectionEdge\"")).toList();
        assertThat(edges).as("conntrail table --edges: the edge of our connection").anyMatch(l -> l.contains("\"lport\":" + clientPort + ",")
                && l.contains("\"lport\":" + serverPort + ","));
    }

    /** {@code conntrail table} as a user runs it against the demo: the packaged jar, from this host. */
    private static List<String> tableJson(String registry, String filter) throws IOException, InterruptedException {
        return table(registry, "--filter", filter);
    }

    /** {@code conntrail table --format json} with these arguments, for 10 s. */
    private static List<String> table(String registry, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile("conntrail-demo-table-", ".out");
        try {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar", ROOT.resolve("app/target/conntrail.jar").toString(), "table",
                    "--bootstrap-servers", BOOTSTRAP, "--schema-registry-url", registry, "--format", "json", "--duration", "10s"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("table ends after --duration").isTrue();
            assertThat(p.exitValue()).as(Files.readString(out)).isZero();
            return Files.readAllLines(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static Set<String> effectiveCapabilities(long pid) throws IOException {
        String eff = Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                .filter(l -> l.startsWith("CapEff:")).findFirst().orElseThrow().substring(7).trim();
        long bits = Long.parseUnsignedLong(eff, 16);
        Set<String> names = new TreeSet<>();
        for (int bit = 0; bit < 64; bit++) {
            if ((bits & (1L << bit)) != 0) {
                names.add(DOCUMENTED.getOrDefault(bit, "cap " + bit));
            }
        }
        return names;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
