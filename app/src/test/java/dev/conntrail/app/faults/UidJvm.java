package dev.conntrail.app.faults;

import dev.conntrail.testkit.ReadableClasspath;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Starts a class of this test JVM in a JVM of its own as another uid holding only the given capabilities, with
 * {@code setpriv} (as producer/.../privilege/Unprivileged does for uid 65534): the classpath is copied once to a
 * world-readable directory (~/.m2 and the build tree may be private to root). The uid here is one no account
 * uses, so a firewall rule on it ({@code meta skuid}) touches that JVM alone.
 */
final class UidJvm implements AutoCloseable {
    final int uid;
    private final ReadableClasspath copy;

    UidJvm(int uid) {
        this.uid = uid;
        copy = new ReadableClasspath("ct-uidjvm");
    }

    /** A uid between 61000 and 61999 that /etc/passwd does not name. */
    static int unusedUid() throws IOException {
        List<String> used = Files.readAllLines(Path.of("/etc/passwd")).stream().map(l -> l.split(":")).filter(f -> f.length > 2)
                .map(f -> f[2]).toList();
        for (int tries = 0; tries < 100; tries++) {
            int uid = 61000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(1000);
            if (!used.contains(String.valueOf(uid))) return uid;
        }
        throw new IllegalStateException("no unused uid in 61000-61999");
    }

    /** A running child: its output lines (stdout and stderr) are kept and copied to {@code log}. */
    static final class Child implements AutoCloseable {
        final Process process;
        final List<String> lines = new CopyOnWriteArrayList<>();

        Child(Process process, Path log) {
            this.process = process;
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                        Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    }
                } catch (IOException e) {
                    // the child is gone
                }
            }, "uidjvm-output");
            t.setDaemon(true);
            t.start();
        }

        /** Waits up to {@code seconds} for a line containing {@code text}; false if none came (or the child died). */
        boolean awaitLine(String text, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                if (lines.stream().anyMatch(l -> l.contains(text))) return true;
                if (!process.isAlive()) return false;
                Thread.sleep(100);
            }
            return false;
        }

        long count(String text) {
            return lines.stream().filter(l -> l.contains(text)).count();
        }

        /** SIGTERM (the agent detaches, flushes and closes), then SIGKILL after 15 s. */
        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Starts {@code mainClass} with {@code args} as this uid holding exactly {@code caps} (e.g. "bpf,perfmon"). */
    Child start(String caps, Path log, String mainClass, String... args) throws IOException {
        String spec = "+" + caps.replace(",", ",+");
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                "--inh-caps=" + spec, "--ambient-caps=" + spec,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xshare:off", "-XX:+UseSerialGC", "-Xmx256m",
                "-cp", copy.classpath(), mainClass));
        cmd.addAll(List.of(args));
        Files.createDirectories(log.getParent());
        Files.deleteIfExists(log);
        return new Child(new ProcessBuilder(cmd).directory(copy.dir().toFile()).redirectErrorStream(true).start(), log);
    }

    @Override
    public void close() {
        copy.close();
    }
}

