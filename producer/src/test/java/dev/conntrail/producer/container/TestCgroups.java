package dev.conntrail.producer.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ThreadLocalRandom;

/**
 * cgroups a kernel test makes in the host's v2 hierarchy, below one parent named for this test
 * ({@code conntrail-test-containers-RANDOM.slice}); {@link #close()} removes them, innermost first,
 * once their processes are gone.
 */
public final class TestCgroups implements AutoCloseable {
    public final CgroupHierarchy hierarchy = CgroupHierarchy.detect();
    public final String parent = "/conntrail-test-containers-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1) + ".slice";
    private final Deque<Path> made = new ArrayDeque<>();

    public TestCgroups() throws IOException {
        if (!hierarchy.available()) {
            throw new IllegalStateException("no cgroup v2 hierarchy under /sys/fs/cgroup: this test needs one");
        }
        make(parent);
    }

    /** Makes the cgroup {@code path} (as /proc/PID/cgroup shows it); returns its directory. */
    public Path make(String path) throws IOException {
        Path dir = dir(path);
        Files.createDirectory(dir);
        made.push(dir);
        return dir;
    }

    public Path dir(String path) {
        return hierarchy.root().resolve(path.substring(1));
    }

    /** The cgroup's id, as the kernel gives it: the inode of its directory. */
    public long id(String path) throws IOException {
        return (Long) Files.getAttribute(dir(path), "unix:ino");
    }

    /** A 64-hex id, as a runtime makes them. */
    public static String randomId() {
        StringBuilder b = new StringBuilder(64);
        while (b.length() < 64) {
            b.append(String.format("%016x", ThreadLocalRandom.current().nextLong()));
        }
        return b.toString();
    }

    /** Starts {@code python3 -c script} inside the cgroup {@code path}: it moves itself in before running the script. */
    public Process start(String path, String script) throws IOException {
        Path procs = dir(path).resolve("cgroup.procs");
        return new ProcessBuilder("sh", "-c", "echo $$ > '" + procs + "' && exec python3 -c \"$0\"", script)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        while (!made.isEmpty()) {
            Path dir = made.pop();
            try {
                Files.deleteIfExists(dir); // rmdir: refused while a process is still inside
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
