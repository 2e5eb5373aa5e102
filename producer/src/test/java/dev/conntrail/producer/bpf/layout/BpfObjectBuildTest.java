package dev.conntrail.producer.bpf.layout;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The committed BPF objects (resources of this jar) are exactly what bpf/ builds with clang-14:
 * rebuilt from source into target/ and compared byte for byte. Fails when someone changed bpf/
 * without running `make -C bpf`. clang-14 comes from scripts/install-test-deps.
 */
class BpfObjectBuildTest {
    @Test
    void committedObjectsAreBuiltFromTheCurrentSources() throws Exception {
        Path bpf = Path.of("..", "bpf").toAbsolutePath().normalize();
        Path out = Path.of("target", "bpf-rebuild").toAbsolutePath();
        Files.createDirectories(out);
        Process make = new ProcessBuilder("make", "-B", "-s", "-C", bpf.toString(), "OUT=" + out).redirectErrorStream(true).start();
        String log = new String(make.getInputStream().readAllBytes());
        assertThat(make.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(make.exitValue()).as("make -C bpf: %s", log).isZero();
        try (var objects = Files.list(out)) {
            for (Path built : objects.filter(p -> p.toString().endsWith(".bpf.o")).toList()) {
                String resource = "/bpf/" + built.getFileName();
                try (InputStream committed = getClass().getResourceAsStream(resource)) {
                    assertThat(committed).as("%s is not committed in producer/src/main/resources", resource).isNotNull();
                    assertThat(committed.readAllBytes())
                            .as("%s is stale: run `make -C bpf` and commit producer/src/main/resources%s", resource, resource)
                            .isEqualTo(Files.readAllBytes(built));
                }
            }
        }
        assertThat(out.resolve("tracer.bpf.o")).exists();
    }
}
