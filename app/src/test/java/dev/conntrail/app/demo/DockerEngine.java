package dev.conntrail.app.demo;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Docker engine the demo test talks to: the one already running, or a {@code dockerd} this class starts (root
 * only) and stops again on {@link #close()}. Debian's {@code docker.io} ({@code scripts/install-test-deps}).
 */
final class DockerEngine implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Process started;
    private final Path log;

    private DockerEngine(Process started, Path log) {
        this.started = started;
        this.log = log;
    }

    static DockerEngine running() throws IOException, InterruptedException {
        if (answers()) {
            return new DockerEngine(null, null);
        }
        if (!onPath("dockerd") || !onPath("docker")) {
            throw new IllegalStateException("no Docker engine runs and dockerd/docker are not installed: "
                    + "run scripts/install-test-deps as root (Debian's docker.io)");
        }
        Path log = Files.createTempFile("conntrail-demo-dockerd-", ".log");
        Process p = new ProcessBuilder("dockerd").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("dockerd exited with status " + p.exitValue() + "; its log: " + log
                        + "\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            if (answers()) {
                return new DockerEngine(p, log);
            }
            Thread.sleep(500);
        }
        p.destroy();
        throw new IllegalStateException("dockerd did not answer within " + START_TIMEOUT + "; its log: " + log);
    }

    /** Whether this engine accepts a capability by name (engines before Docker 23 do not know BPF and PERFMON). */
    static boolean knowsCapability(String image, String cap) throws IOException, InterruptedException {
        return run(60, "docker", "run", "--rm", "--cap-drop", "ALL", "--cap-add", cap, image, "true") == 0;
    }

    /** {@code docker inspect --format FORMAT ID}, trimmed. */
    static String inspect(String id, String format) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("docker", "inspect", "--format", format, id).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("docker inspect " + id + " failed: " + out);
        }
        return out;
    }

    static int run(long timeoutSeconds, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            return -1;
        }
        return p.exitValue();
    }

    private static boolean answers() throws IOException, InterruptedException {
        return onPath("docker") && run(15, "docker", "version", "--format", "{{.Server.Version}}") == 0;
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return List.of("/usr/sbin", "/sbin").stream().anyMatch(d -> Files.isExecutable(Path.of(d, program)));
    }

    /** Stops the dockerd this class started (with what it runs); one that was running stays. */
    @Override
    public void close() throws IOException, InterruptedException {
        if (started == null) {
            return;
        }
        started.destroy(); // SIGTERM: dockerd stops its containers and its containerd
        if (!started.waitFor(60, TimeUnit.SECONDS)) {
            started.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(log);
    }
}
