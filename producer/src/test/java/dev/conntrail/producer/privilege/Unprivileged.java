package dev.conntrail.producer.privilege;

import dev.conntrail.testkit.ReadableClasspath;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts this test JVM's classes as an unprivileged uid (65534) holding only the given capabilities, with
 * {@code setpriv} (util-linux): the test classpath is copied to a world-readable directory first (~/.m2 and the
 * build tree may be private to root).
 */
final class Unprivileged implements AutoCloseable {
    static final String UID = "65534";
    private final ReadableClasspath copy;

    Unprivileged() {
        copy = new ReadableClasspath("ct-unpriv");
    }

    /**
     * Starts CommandProbe with {@code args} as uid 65534 holding exactly {@code caps} (e.g. "bpf,perfmon"); its
     * stderr (the log) is merged into stdout, one line each.
     */
    Process start(String caps, String... args) throws IOException {
        String spec = caps.isEmpty() ? "-all" : "+" + caps.replace(",", ",+");
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + UID, "--regid=" + UID, "--clear-groups",
                "--inh-caps=" + spec, "--ambient-caps=" + spec,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xshare:off", "-cp", copy.classpath(),
                CommandProbe.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(copy.dir().toFile()).redirectErrorStream(true).start();
    }

    @Override
    public void close() {
        copy.close();
    }
}

