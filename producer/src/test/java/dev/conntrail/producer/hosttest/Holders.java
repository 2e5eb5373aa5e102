package dev.conntrail.producer.hosttest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Child processes that hold one connected TCP socket each, with a known pid and comm
 * ({@code ctholder}): bash opens the connection on fd 3 through /dev/tcp, then execs a copy of
 * sleep named ctholder, which keeps fd 3. {@code ip netns exec} also execs, so the pid we started is
 * the holder's pid.
 */
public final class Holders implements AutoCloseable {
    public static final String COMM = "ctholder";
    private final Path dir;
    private final Path binary;
    private final List<Process> processes = new ArrayList<>();

    public Holders() {
        try {
            dir = Files.createTempDirectory("ctholder");
            binary = dir.resolve(COMM);
            Files.copy(Path.of("/bin/sleep"), binary, StandardCopyOption.COPY_ATTRIBUTES);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts a holder connected to addr:port, in namespace {@code netns} (null: this one). Returns its pid. */
    public long connect(String netns, String addr, int port) {
        String script = "exec 3<>/dev/tcp/" + addr + "/" + port + " && exec " + binary + " 60";
        List<String> cmd = new ArrayList<>();
        if (netns != null) {
            cmd.addAll(List.of("ip", "netns", "exec", netns));
        }
        cmd.addAll(List.of("bash", "-c", script));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            processes.add(p);
            return p.pid();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (Process p : processes) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // temp dir; best effort
        }
    }
}
