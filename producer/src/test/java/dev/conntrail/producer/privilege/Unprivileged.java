package dev.conntrail.producer.privilege;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Starts this test JVM's classes as an unprivileged uid (65534) holding only the given capabilities, with
 * {@code setpriv} (util-linux): the test classpath is copied to a world-readable directory first (~/.m2 and the
 * build tree may be private to root).
 */
final class Unprivileged implements AutoCloseable {
    static final String UID = "65534";
    private final Path dir;
    private final String classpath;

    Unprivileged() {
        try {
            dir = Files.createTempDirectory("ct-unpriv");
            List<String> entries = new ArrayList<>();
            int i = 0;
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path from = Path.of(entry);
                if (!Files.exists(from)) {
                    continue;
                }
                Path to = dir.resolve(i++ + "-" + from.getFileName());
                copy(from, to);
                entries.add(to.toString());
            }
            classpath = String.join(java.io.File.pathSeparator, entries);
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) all::iterator) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
            return;
        }
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(d).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.copy(f, to.resolve(from.relativize(f).toString()));
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * Starts CommandProbe with {@code args} as uid 65534 holding exactly {@code caps} (e.g. "bpf,perfmon"); its
     * stderr (the log) is merged into stdout, one line each.
     */
    Process start(String caps, String... args) throws IOException {
        String spec = caps.isEmpty() ? "-all" : "+" + caps.replace(",", ",+");
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + UID, "--regid=" + UID, "--clear-groups",
                "--inh-caps=" + spec, "--ambient-caps=" + spec,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xshare:off", "-cp", classpath,
                CommandProbe.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    }

    @Override
    public void close() {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind
        }
    }
}
