package dev.conntrail.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apicurio Registry ({@code io.apicurio:apicurio-registry-app}, in-memory storage) as a child process,
 * bound to 127.0.0.1 on free ports; {@link #url()} is its Confluent-compatible API
 * ({@code http://127.0.0.1:PORT/apis/ccompat/v7}) for {@code schema.registry.url}. The child is killed on
 * {@link #close()} and when this JVM exits. Apicurio enforces no compatibility until a level is set
 * (use {@code RegistryAdmin}). In tests prefer the shared one: {@link RealCluster#registry()}.
 */
public final class ApicurioRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApicurioRegistry.class);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);

    private final Process process;
    private final int port;
    private final Path log;
    private final long startupMillis;
    private final Thread killer;

    private ApicurioRegistry(Process process, int port, Path log, long startupMillis, Thread killer) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.startupMillis = startupMillis;
        this.killer = killer;
    }

    /** Starts a registry and waits until its API answers; a few seconds. */
    public static ApicurioRegistry start() {
        Path home = RegistryDistribution.installDir();
        Path java = RegistryDistribution.java();
        IllegalStateException last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            try {
                return startOnce(home, java);
            } catch (PortTakenException e) {
                last = e; // another process took the free port between our probe and the child's bind: retry
                LOG.info("Apicurio port race, retrying: {}", e.getMessage());
            }
        }
        throw last;
    }

    private static final class PortTakenException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        PortTakenException(String m) {
            super(m);
        }
    }

    private static ApicurioRegistry startOnce(Path home, Path java) {
        long t0 = System.nanoTime();
        int port = freePort();
        int managementPort = freePort();
        Path log;
        try {
            log = Files.createTempFile("conntrail-apicurio-" + port + "-", ".log");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the registry's log file: " + e, e);
        }
        List<String> cmd = new ArrayList<>(List.of(java.toString(),
                "-Xms64m", "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.management.host=127.0.0.1",
                "-Dquarkus.management.port=" + managementPort,
                "-Dapicurio.storage.kind=sql",
                "-Dapicurio.storage.sql.kind=h2",
                "-Dquarkus.otel.sdk.disabled=true",
                "-Dquarkus.log.level=WARN",
                "-Dquarkus.log.category.\"io.apicurio\".level=WARN",
                "-Dquarkus.log.category.\"io.quarkus.http.access-log\".level=WARN",
                "-Dapicurio.usage.telemetry.enabled=false",
                "-jar", home.resolve("quarkus-run.jar").toString()));
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start Apicurio Registry with " + java + ": " + e, e);
        }
        Thread killer = new Thread(() -> {
            kill(p);
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                // harmless
            }
        }, "apicurio-registry-killer");
        Runtime.getRuntime().addShutdownHook(killer);
        String url = "http://127.0.0.1:" + port + "/apis/ccompat/v7";
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                String tail = tail(log);
                removeHook(killer);
                if (tail.contains("Address already in use") || tail.contains("Port(s) already bound")) {
                    throw new PortTakenException("port " + port + " or " + managementPort + " taken");
                }
                throw new IllegalStateException("Apicurio Registry exited with status " + p.exitValue()
                        + " during start-up; its log (" + log + ") ends with:\n" + tail);
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/subjects"))
                        .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    LOG.info("Apicurio Registry ready at {} in {} ms (pid {}, {}, log {})", url, ms, p.pid(), java, log);
                    return new ApicurioRegistry(p, port, log, ms, killer);
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill(p);
                removeHook(killer);
                throw new IllegalStateException("interrupted while waiting for Apicurio Registry", e);
            }
            sleep(100);
        }
        kill(p);
        removeHook(killer);
        throw new IllegalStateException("Apicurio Registry did not answer at " + url + " within " + STARTUP_TIMEOUT
                + "; its log (" + log + ") ends with:\n" + tail(log));
    }

    /** {@code http://127.0.0.1:PORT/apis/ccompat/v7}: the value for {@code schema.registry.url}. */
    public String url() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    public int port() {
        return port;
    }

    public long startupMillis() {
        return startupMillis;
    }

    public Path logFile() {
        return log;
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    @Override
    public void close() {
        kill(process);
        removeHook(killer);
        try {
            Files.deleteIfExists(log);
        } catch (IOException e) {
            // a stale log in the temp dir is harmless
        }
        LOG.info("Apicurio Registry at {} stopped", url());
    }

    private static void kill(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs anyway
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port on 127.0.0.1: " + e, e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
