package dev.conntrail.producer.privilege;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conntrail.producer.hosttest.OtherUserNamespace;
import dev.conntrail.testkit.Root;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code conntrail doctor} as uid 65534 (setpriv): without capabilities it does not crash, says CAP_BPF is missing
 * and the tracer unavailable (the agent would poll /proc) and exits 1; with the four capabilities of the agent's
 * default path (docs/producer.md) it finds tp_btf, the iterator and conntrack, and only entering other namespaces
 * (CAP_SYS_ADMIN) is degraded. Another user's process in a namespace of its own runs meanwhile. Root only (CI is
 * root: it changes uid and capabilities).
 */
class DoctorUnprivilegedKernelTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Unprivileged unprivileged;
    private static OtherUserNamespace other;

    private record Run(int exit, String output) {
        JsonNode json() throws Exception {
            String line = output.lines().filter(l -> l.startsWith("{\"kernel\"")).findFirst()
                    .orElseThrow(() -> new AssertionError("no JSON report in:\n" + output));
            return JSON.readTree(line);
        }
    }

    @BeforeAll
    static void setUp() {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root) to change uid and capabilities");
        unprivileged = new Unprivileged();
        other = new OtherUserNamespace();
    }

    @AfterAll
    static void tearDown() {
        if (other != null) {
            other.close();
        }
        if (unprivileged != null) {
            unprivileged.close();
        }
    }

    /** The doctor as uid 65534 holding exactly {@code caps}; stdout and stderr together. */
    private static Run doctor(String caps, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("doctor"));
        all.addAll(List.of(args));
        Process p = unprivileged.start(caps, all.toArray(String[]::new));
        byte[] out = p.getInputStream().readAllBytes(); // until it exits: the one stream is merged
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("doctor did not finish in 120 s");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static JsonNode check(JsonNode report, String name) {
        for (JsonNode c : report.get("checks")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no check " + name + " in " + report);
    }

    private static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void withoutCapabilitiesEveryCheckSaysWhatIsMissing() throws Exception {
        Run run = doctor("", "--format", "json");
        assertThat(run.exit).as(run.output).isEqualTo(1);
        assertThat(run.output).doesNotContain("Exception", "\tat ");
        JsonNode r = run.json();
        for (String cap : List.of("CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN", "CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH",
                "CAP_SYS_ADMIN")) {
            assertThat(check(r, cap).get("status").asText()).as(cap).isEqualTo("degraded");
            assertThat(check(r, cap).get("found").asText()).as(cap).startsWith("missing");
        }
        JsonNode tracer = check(r, "tracer");
        assertThat(tracer.get("status").asText()).isEqualTo("unavailable");
        assertThat(tracer.get("found").asText()).contains("no permission to load BPF programs");
        assertThat(tracer.get("cost").asText()).contains("polls /proc");
        assertThat(tracer.get("fix").asText()).contains("CAP_BPF");
        assertThat(check(r, "netns entry").get("status").asText()).isEqualTo("degraded");
        assertThat(check(r, "/proc owners").get("found").asText()).contains("permission denied");
        assertThat(check(r, "ctnetlink").get("status").asText()).isEqualTo("unavailable");
        assertThat(check(r, "ctnetlink").get("fix").asText()).contains("CAP_NET_ADMIN");
        assertThat(check(r, "sock_diag").get("status").asText()).isEqualTo("ok"); // needs no capability
        JsonNode agent = r.get("agent");
        assertThat(agent.get("events").asText()).isEqualTo("proc_poll");
        assertThat(agent.get("cookies").asBoolean()).isFalse();
        assertThat(agent.get("snapshots").asText()).isEqualTo("proc");
        assertThat(agent.get("nat").asText()).isEqualTo("none");
        JsonNode verdict = r.get("verdict");
        assertThat(verdict.get("fidelity").asText()).isEqualTo("degraded");
        assertThat(verdict.get("exitCode").asInt()).isEqualTo(1);
        assertThat(names(verdict.get("degradations"))).contains("tracer", "netns entry", "/proc owners", "ctnetlink");
        assertThat(names(verdict.get("notes"))).contains("CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN", "CAP_SYS_ADMIN");
    }

    @Test
    void withoutCapabilitiesTheTableListsEachDegradationWithItsFix() throws Exception {
        Run run = doctor("");
        assertThat(run.exit).as(run.output).isEqualTo(1);
        String report = run.output.substring(run.output.indexOf("conntrail doctor:"));
        assertThat(report).containsPattern("\nCAP_BPF +degraded +missing")
                .containsPattern("\ntracer +unavailable +not loaded: no permission to load BPF programs")
                .containsPattern("\nVERDICT  degraded \\(exit 1\\): \\d+ degradations\n");
        String verdict = report.substring(report.indexOf("VERDICT"));
        assertThat(verdict).contains("  tracer (unavailable)\n    costs: no eBPF", "fix:   run as root, or grant CAP_BPF");
        assertThat(report.lines()).allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(100));
    }

    @Test
    void withTheDefaultPathsFourCapabilitiesOnlyNamespaceEntryIsDegraded() throws Exception {
        Run run = doctor(LeastPrivilegeKernelTest.AGENT_CAPS, "--format", "json");
        assertThat(run.exit).as(run.output).isEqualTo(1);
        JsonNode r = run.json();
        JsonNode agent = r.get("agent");
        assertThat(agent.get("events").asText()).isEqualTo("tp_btf");
        assertThat(agent.get("snapshots").asText()).isEqualTo("bpf_iter");
        assertThat(agent.get("nat").asText()).isEqualTo("conntrack");
        assertThat(agent.get("namespaces").asText()).isEqualTo("own");
        assertThat(check(r, "socket cookies").get("status").asText()).isEqualTo("ok"); // CAP_SYS_PTRACE: pidfd_getfd
        JsonNode entry = check(r, "netns entry");
        assertThat(entry.get("status").asText()).isEqualTo("degraded");
        assertThat(entry.get("fix").asText()).contains("CAP_SYS_ADMIN");
        assertThat(names(r.get("verdict").get("degradations"))).containsExactly("netns entry");
        assertThat(names(r.get("verdict").get("notes"))).contains("CAP_DAC_READ_SEARCH", "CAP_SYS_ADMIN")
                .doesNotContain("CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN", "CAP_SYS_PTRACE");
    }
}
