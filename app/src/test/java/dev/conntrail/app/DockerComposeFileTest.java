package dev.conntrail.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * No Docker engine runs where we build, so the demo's compose file is checked the way that needs
 * none: Debian's docker-compose parses and validates it ({@code config}), and we look at what it
 * resolved.
 */
class DockerComposeFileTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void composeFileIsValidAndWiresEveryService() throws Exception {
        Process p = new ProcessBuilder("docker-compose", "-f", ROOT.resolve("docker-compose.yml").toString(), "config")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("kafka:", "schema-registry:", "ksqldb-server:", "producer:", "topology:")
                .contains("CONNTRAIL_BOOTSTRAP_SERVERS")
                .contains("network_mode: host");
    }

    @Test
    void ksqlScriptAndDockerfileAreWhereComposeExpectsThem() {
        assertThat(new File(ROOT.toFile(), "ksql/connections.sql")).isFile();
        assertThat(new File(ROOT.toFile(), "Dockerfile")).isFile();
    }
}
