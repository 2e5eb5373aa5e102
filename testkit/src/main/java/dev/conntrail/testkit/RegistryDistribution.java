package dev.conntrail.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the Apicurio Registry distribution (the {@code apicurio-registry-app-VERSION-all.tar.gz} Maven fetched
 * when the testkit was built, see testkit/pom.xml) and a Java 21+ runtime for it, and extracts the archive once
 * into a cache ({@code $CONNTRAIL_CACHE_DIR}, default {@code ~/.cache/conntrail}) shared by later runs.
 */
final class RegistryDistribution {
    private static final Logger LOG = LoggerFactory.getLogger(RegistryDistribution.class);
    static final String JAVA_ENV = "CONNTRAIL_REGISTRY_JAVA";
    static final String ARCHIVE_ENV = "CONNTRAIL_APICURIO_ARCHIVE";
    static final String CACHE_ENV = "CONNTRAIL_CACHE_DIR";

    private RegistryDistribution() {
    }

    static Properties buildProperties() {
        Properties p = new Properties();
        try (InputStream in = RegistryDistribution.class.getResourceAsStream("testkit.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read dev/conntrail/testkit/testkit.properties", e);
        }
        return p;
    }

    static String version() {
        return buildProperties().getProperty("apicurio.version", "3.3.3");
    }

    /** The directory holding {@code quarkus-run.jar}, extracting the archive if this version is not cached yet. */
    static Path installDir() {
        String version = version();
        Path cache = Path.of(System.getenv().getOrDefault(CACHE_ENV, System.getProperty("user.home") + "/.cache/conntrail"));
        Path dir = cache.resolve("apicurio-registry-" + version);
        if (Files.isRegularFile(dir.resolve(".complete")) && Files.isRegularFile(dir.resolve("quarkus-run.jar"))) {
            return dir;
        }
        Path archive = archive();
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(cache);
            Path tmp = Files.createTempDirectory(cache, "apicurio-extract-");
            Process tar = new ProcessBuilder("tar", "xzf", archive.toString(), "-C", tmp.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!tar.waitFor(5, TimeUnit.MINUTES) || tar.exitValue() != 0) {
                tar.destroyForcibly();
                throw new IllegalStateException("tar could not extract " + archive);
            }
            Files.writeString(tmp.resolve(".complete"), version + "\n");
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                deleteTree(tmp); // another JVM extracted it first
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir);
            }
            if (!Files.isRegularFile(dir.resolve(".complete"))) {
                // a broken earlier attempt left the directory: replace it
                deleteTree(dir);
                return installDir();
            }
            LOG.info("Apicurio Registry {} extracted to {} in {} ms", version, dir, (System.nanoTime() - t0) / 1_000_000);
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException("cannot extract the Apicurio Registry archive " + archive + " into " + cache
                    + ": " + e.getMessage() + " (set " + CACHE_ENV + " to a writable directory)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while extracting " + archive, e);
        }
    }

    static Path archive() {
        String fromEnv = System.getenv(ARCHIVE_ENV);
        String path = fromEnv != null ? fromEnv : buildProperties().getProperty("apicurio.archive");
        if (path == null || path.contains("${") || !Files.isRegularFile(Path.of(path))) {
            throw new IllegalStateException("the Apicurio Registry distribution is missing (looked for " + path
                    + "): build the testkit module with Maven first (./mvnw -B -pl testkit -am -DskipTests package"
                    + " fetches io.apicurio:apicurio-registry-app:" + version() + ":tar.gz:all), or set "
                    + ARCHIVE_ENV + " to that file");
        }
        return Path.of(path);
    }

    /** A {@code java} binary of version 21 or later: $CONNTRAIL_REGISTRY_JAVA, this JVM, or the newest under /usr/lib/jvm. */
    static Path java() {
        String env = System.getenv(JAVA_ENV);
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env);
            Path bin = Files.isDirectory(p) ? p.resolve("bin/java") : p;
            if (!Files.isExecutable(bin)) {
                throw new IllegalStateException(JAVA_ENV + "=" + env + " is not a java binary or a JDK directory");
            }
            return bin;
        }
        if (Runtime.version().feature() >= 21) {
            return Path.of(System.getProperty("java.home"), "bin", "java");
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (Stream<Path> s = Files.list(jvms)) {
                Path best = s.filter(d -> Files.isExecutable(d.resolve("bin/java")))
                        .filter(d -> featureVersion(d) >= 21)
                        .max(Comparator.comparingInt(RegistryDistribution::featureVersion)).orElse(null);
                if (best != null) {
                    return best.resolve("bin/java");
                }
            } catch (IOException e) {
                // fall through to the error below
            }
        }
        throw new IllegalStateException("Apicurio Registry " + version() + " needs Java 21 or later and none was found"
                + " (this JVM is " + Runtime.version().feature() + ", nothing suitable under /usr/lib/jvm): install one"
                + " (e.g. Temurin 25) or set " + JAVA_ENV + " to its java binary");
    }

    /** The JAVA_VERSION major of a JDK directory from its {@code release} file, 0 if unknown. */
    static int featureVersion(Path jdk) {
        try {
            for (String line : Files.readAllLines(jdk.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    String major = v.split("[.+-]")[0];
                    return Integer.parseInt(major.equals("1") ? v.split("\\.")[1] : major);
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
