package dev.conntrail.app.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The images the demo runs in CI, built here by {@code docker/build-images} (kept by tag, so only the first run
 * pays the debootstrap); returns the variables docker-compose.yml reads, such as {@code KAFKA_IMAGE}.
 */
final class DemoImages {
    private static final long TIMEOUT_MINUTES = 10;

    private DemoImages() {
    }

    static Map<String, String> build(Path root) throws IOException, InterruptedException {
        Path log = Files.createTempFile("conntrail-demo-images-", ".log");
        Process p = new ProcessBuilder(root.resolve("docker/build-images").toString()).directory(root.toFile())
                .redirectError(log.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("docker/build-images took over " + TIMEOUT_MINUTES + " min; its log: " + log);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("docker/build-images failed (" + p.exitValue() + "):\n"
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
        Files.deleteIfExists(log);
        Map<String, String> vars = new LinkedHashMap<>();
        out.lines().filter(l -> l.matches("[A-Z_]+=.+")).forEach(l -> vars.put(l.substring(0, l.indexOf('=')),
                l.substring(l.indexOf('=') + 1)));
        return vars;
    }
}
