package dev.conntrail.producer.bpf.tracer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.testkit.Root;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * BPF unavailable: a child JVM without capabilities (setpriv drops them all) or with libbpf
 * pointed at a missing file gets one clear line and a typed exception it can fall back on.
 */
class BpfUnavailableKernelTest {
    private record Result(int exit, String out, String err) {
    }

    @BeforeEach
    void root() {
        Assumptions.assumeTrue(Root.isRoot(), "needs root to drop capabilities (CI is root)");
    }

    private static Result run(List<String> prefix, List<String> jvmArgs, String mode) throws Exception {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), FallbackProbe.class.getName(), mode));
        Process p = new ProcessBuilder(cmd).start();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        // the probe's answer is its one line starting FALLBACK or STARTED (logging may share stdout)
        String answer = new String(out).lines().filter(l -> l.startsWith("FALLBACK") || l.startsWith("STARTED"))
                .findFirst().orElse(new String(out));
        return new Result(p.exitValue(), answer, new String(err).strip());
    }

    private static final List<String> NO_CAPS = List.of("setpriv", "--inh-caps=-all", "--bounding-set=-all");

    @Test
    void withoutCapabilitiesTheCallerGetsNoPermissionAndCanFallBack() throws Exception {
        Result r = run(NO_CAPS, List.of(), "api");
        assertThat(r.out).startsWith("FALLBACK NO_PERMISSION no permission to load BPF programs")
                .contains("CAP_BPF");
    }

    @Test
    void traceWithoutCapabilitiesExitsOneWithOneLine() throws Exception {
        Result r = run(NO_CAPS, List.of(), "cli");
        assertThat(r.exit).isEqualTo(1);
        List<String> errLines = r.err.lines().filter(l -> l.startsWith("conntrail")).toList();
        assertThat(errLines).hasSize(1);
        assertThat(errLines.get(0)).startsWith("conntrail trace: no permission to load BPF programs");
        assertThat(r.err).doesNotContain("\tat ");
    }

    @Test
    void missingLibbpfIsNamed() throws Exception {
        Result r = run(List.of(), List.of("-Dconntrail.libbpf=/nonexistent/libbpf.so.1"), "api");
        assertThat(r.out).startsWith("FALLBACK LIBBPF_MISSING libbpf.so.1 not found").contains("apt-get install libbpf1");
    }

    @Test
    void withBpfTheSameProbeStarts() throws Exception {
        // the control for the tests above: same child, same classpath, with capabilities
        Result r = run(List.of(), List.of(), "api");
        assertThat(r.out).startsWith("STARTED [ct_state_btf]");
    }
}
