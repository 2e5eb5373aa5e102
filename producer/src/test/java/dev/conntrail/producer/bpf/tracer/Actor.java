package dev.conntrail.producer.bpf.tracer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** A python3 test process (src/test/resources/tracer/tcpactor.py) with a known pid and comm; its key=value output. */
final class Actor implements AutoCloseable {
    private static Path script;
    private final Process process;
    private final Map<String, String> facts = new ConcurrentHashMap<>();
    private final List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());

    private Actor(Process process) {
        this.process = process;
        Thread t = new Thread(this::readOutput, "actor-" + process.pid());
        t.setDaemon(true);
        t.start();
    }

    static Actor server(String netns, String comm, String addr, int count, boolean prefork) {
        return start(netns, "server", comm, addr, Integer.toString(count), prefork ? "prefork" : "single");
    }

    static Actor client(String netns, String comm, String addr, int port, int count, String mode) {
        return start(netns, "client", comm, addr, Integer.toString(port), Integer.toString(count), mode);
    }

    private static synchronized Path script() throws IOException {
        if (script == null) {
            script = Files.createTempFile("tcpactor", ".py");
            try (var in = Actor.class.getResourceAsStream("/tracer/tcpactor.py")) {
                Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
            }
            script.toFile().deleteOnExit();
        }
        return script;
    }

    private static Actor start(String netns, String... args) {
        try {
            List<String> cmd = new ArrayList<>();
            if (netns != null) {
                cmd.addAll(List.of("ip", "netns", "exec", netns)); // execs python3: the pid stays the actor's
            }
            cmd.addAll(List.of("python3", script().toString()));
            cmd.addAll(List.of(args));
            return new Actor(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void readOutput() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(line);
                int eq = line.indexOf('=');
                if (eq > 0) {
                    facts.merge(line.substring(0, eq), line.substring(eq + 1), (a, b) -> a + "," + b);
                }
            }
        } catch (IOException e) {
            // process gone
        }
    }

    /** Waits (bounded) for a key and returns its value (comma-joined when printed several times). */
    String await(String key) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            String v = facts.get(key);
            if (v != null) {
                return v;
            }
            if (!process.isAlive() && facts.get(key) == null) {
                try {
                    Thread.sleep(50); // let the reader thread catch the last lines
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (facts.get(key) != null) {
                    return facts.get(key);
                }
                throw new AssertionError("actor exited (" + process.exitValue() + ") without printing " + key + ": " + lines);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("actor did not print " + key + " within 15 s: " + lines);
    }

    int awaitInt(String key) {
        return Integer.parseInt(await(key));
    }

    String get(String key) {
        return facts.get(key);
    }

    int pid() {
        return awaitInt("pid");
    }

    void waitFor() throws InterruptedException {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            throw new AssertionError("actor did not finish: " + lines);
        }
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
