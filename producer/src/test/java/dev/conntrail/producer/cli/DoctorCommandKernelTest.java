package dev.conntrail.producer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conntrail.cli.Cli;
import dev.conntrail.producer.hosttest.OtherUserNamespace;
import dev.conntrail.producer.snapshot.SockIterSource;
import dev.conntrail.testkit.Root;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code conntrail doctor} on the real kernel as root: with every capability it finds every path of the agent and
 * exits 0; without CAP_SYS_ADMIN (a child JVM through setpriv) only the namespace entry is degraded; it survives
 * JNA failing to load. A process of uid 65534 in a network namespace of its own runs meanwhile, so the namespace
 * entry and the /proc/PID/fd read of another user are really tried. As uid 65534: DoctorUnprivilegedKernelTest.
 */
class DoctorCommandKernelTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static OtherUserNamespace other;

    private record Run(int exit, String out, String err) {
        JsonNode json() throws IOException {
            String line = out.lines().filter(l -> l.startsWith("{\"kernel\"")).findFirst()
                    .orElseThrow(() -> new AssertionError("no JSON report on stdout:\n" + out + "\nstderr:\n" + err));
            return JSON.readTree(line);
        }
    }

    @BeforeAll
    static void anotherUserInAnotherNamespace() {
        Assumptions.assumeTrue(Root.isRoot(), "needs root (CI is root)");
        other = new OtherUserNamespace();
    }

    @AfterAll
    static void cleanUp() {
        if (other != null) {
            other.close();
        }
    }

    private static Run inProcess(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = Cli.commandLine(new DoctorCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static JsonNode check(JsonNode report, String name) {
        for (JsonNode c : report.get("checks")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no check " + name + " in " + report);
    }

    @Test
    void asRootTheAgentWouldRunAtFullFidelity() throws Exception {
        Run run = inProcess("--format", "json");
        JsonNode r = run.json();
        assertThat(run.exit).as(run.out).isZero();
        assertThat(r.get("kernel").get("release").asText()).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip());
        JsonNode agent = r.get("agent");
        assertThat(agent.get("events").asText()).isEqualTo("tp_btf");
        assertThat(agent.get("cookies").asBoolean()).isTrue();
        assertThat(agent.get("snapshots").asText()).isEqualTo("bpf_iter");
        String program;
        try (SockIterSource it = new SockIterSource()) {
            program = it.socketProgram(); // sockiter_stored on 6.18.44, whose verifier refuses the program calling bpf_get_socket_cookie()
        }
        assertThat(agent.get("iteratorProgram").asText()).isEqualTo(program);
        assertThat(agent.get("snapshotFallback").asText()).isEqualTo("sock_diag");
        assertThat(agent.get("namespaces").asText()).isEqualTo("all");
        assertThat(agent.get("nat").asText()).isEqualTo("conntrack");
        for (JsonNode c : r.get("checks")) {
            assertThat(c.get("status").asText()).as(c.toString()).isEqualTo("ok");
        }
        assertThat(check(r, "tracer").get("found").asText()).contains("ct_state_btf");
        assertThat(check(r, "ring buffer").get("found").asText()).contains("CONNECT arrived");
        assertThat(check(r, "bpf iterator").get("found").asText()).startsWith(program + ":");
        assertThat(check(r, "sock_diag").get("found").asText()).startsWith("one dump in this namespace");
        assertThat(check(r, "netns entry").get("found").asText()).startsWith("entered ");
        assertThat(check(r, "/proc owners").get("found").asText()).startsWith("read /proc/"); // another user's fds
        assertThat(check(r, "ctnetlink").get("found").asText()).contains("NAT-translated TCP entries");
        assertThat(check(r, "CAP_BPF").get("found").asText()).startsWith("present");
        JsonNode verdict = r.get("verdict");
        assertThat(verdict.get("fidelity").asText()).isEqualTo("full");
        assertThat(verdict.get("exitCode").asInt()).isZero();
        assertThat(verdict.get("degradations")).isEmpty();
    }

    @Test
    void theTableIsAlignedAndFitsAHundredColumns() {
        Run run = inProcess();
        assertThat(run.exit).as(run.out).isZero();
        List<String> lines = run.out.lines().toList();
        assertThat(lines).allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(100));
        assertThat(lines).contains("CHECK               STATUS      FOUND");
        assertThat(lines).anyMatch(l -> l.startsWith("tracer              ok          tp_btf/inet_sock_set_state"));
        assertThat(lines).anyMatch(l -> l.startsWith("CAP_DAC_READ_SEARCH ok          present"));
        assertThat(lines).contains("THE AGENT WOULD USE", "VERDICT  full fidelity (exit 0)");
    }

    @Test
    void badUsageExitsTwo() {
        Run run = inProcess("--format", "yaml");
        assertThat(run.exit).isEqualTo(Cli.USAGE);
        assertThat(run.err).contains("--format");
    }

    @Test
    void withoutSysAdminOnlyNamespaceEntryIsDegraded() throws Exception {
        Run run = child(List.of("setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin"), List.of(), "--format",
                "json");
        assertThat(run.exit).as(run.err).isEqualTo(1);
        JsonNode r = run.json();
        assertThat(check(r, "CAP_SYS_ADMIN").get("found").asText()).startsWith("missing");
        assertThat(check(r, "tracer").get("status").asText()).isEqualTo("ok"); // CAP_BPF + CAP_PERFMON suffice
        assertThat(check(r, "bpf iterator").get("status").asText()).isEqualTo("ok");
        JsonNode entry = check(r, "netns entry");
        assertThat(entry.get("status").asText()).isEqualTo("degraded");
        assertThat(entry.get("found").asText()).startsWith("could not enter").contains("setns");
        assertThat(entry.get("fix").asText()).contains("CAP_SYS_ADMIN");
        assertThat(r.get("agent").get("events").asText()).isEqualTo("tp_btf");
        assertThat(r.get("agent").get("namespaces").asText()).isEqualTo("own");
        assertThat(names(r.get("verdict").get("degradations"))).containsExactly("netns entry");
        assertThat(names(r.get("verdict").get("notes"))).containsExactly("CAP_SYS_ADMIN");
    }

    @Test
    void withoutJnaItStillReportsAndExitsOne() throws Exception {
        Run run = child(List.of(), List.of("-Djna.tmpdir=/proc/no-such-dir"), "--format", "json");
        assertThat(run.exit).as(run.err).isEqualTo(1);
        JsonNode r = run.json();
        assertThat(check(r, "jna").get("status").asText()).isEqualTo("unavailable");
        assertThat(check(r, "tracer").get("found").asText()).contains("JNA cannot load");
        assertThat(check(r, "conntrack module").get("status").asText()).isEqualTo("ok"); // no native call needed
        assertThat(r.get("agent").get("events").asText()).isEqualTo("error");
        assertThat(names(r.get("verdict").get("degradations"))).contains("jna");
    }

    private static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** The doctor in a child JVM behind {@code prefix} (setpriv), its output in files (no pipe to fill). */
    private static Run child(List<String> prefix, List<String> jvmArgs, String... args) throws Exception {
        Path dir = Files.createTempDirectory("conntrail-doctor-run");
        try {
            Path jna = Files.createDirectory(dir.resolve("jna"));
            List<String> cmd = new ArrayList<>(prefix);
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Djna.tmpdir=" + jna);
            cmd.addAll(jvmArgs); // a later -Djna.tmpdir wins
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), DoctorMain.class.getName()));
            cmd.addAll(List.of(args));
            Path out = dir.resolve("out");
            Path err = dir.resolve("err");
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().put("HOME", dir.toString());
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("doctor did not finish in 120 s: " + cmd);
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
