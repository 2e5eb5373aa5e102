package dev.conntrail.topology.fleet;

import dev.conntrail.topology.run.TopologyApp;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * Topology instances of one application id in this JVM (they share its cores), each with a state directory of
 * its own, as separate processes on separate machines would have: started one after the other, then ready when
 * every one runs and the partitions' tasks are all assigned among them.
 */
final class TopologyInstances implements AutoCloseable {
    /** What one instance holds: its tasks' partitions, its open rows, the input records it processed. */
    record Holding(int instance, List<Integer> partitions, long openRows, long processed) {
        @Override
        public String toString() {
            return "instance " + instance + ": partitions " + partitions + ", " + openRows + " open rows, " + processed + " input records processed";
        }
    }

    private final Function<Path, TopologyApp.Options> options;
    private final List<TopologyApp> apps = new ArrayList<>();
    private final List<Path> stateDirs = new ArrayList<>();
    private final List<Boolean> closed = new ArrayList<>();

    /**
     * Starts {@code n} instances (the first one creates the topics).
     *
     * @param options an instance's options, given its state directory (the same application id for all)
     */
    TopologyInstances(Function<Path, TopologyApp.Options> options, int n) {
        this.options = options;
        try {
            for (int i = 0; i < n; i++) start();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Starts one more instance, with an empty state directory; returns its index. */
    int start() {
        try {
            Path dir = Files.createTempDirectory("fleet-state");
            stateDirs.add(dir);
            apps.add(TopologyApp.start(options.apply(dir)));
            closed.add(false);
            return apps.size() - 1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True once every running instance is RUNNING and they hold {@code partitions} active tasks between them. */
    boolean ready(int partitions) {
        int tasks = 0;
        for (int i = 0; i < apps.size(); i++) {
            if (closed.get(i)) continue;
            KafkaStreams s = apps.get(i).streams();
            if (s.state() != KafkaStreams.State.RUNNING) return false;
            for (ThreadMetadata t : s.metadataForLocalThreads()) tasks += t.activeTasks().size();
        }
        return tasks == partitions;
    }

    void awaitReady(int partitions, Duration max) throws InterruptedException {
        long until = System.nanoTime() + max.toNanos();
        while (!ready(partitions)) {
            if (System.nanoTime() - until > 0) {
                throw new IllegalStateException("the topology instances did not all run with " + partitions + " tasks among them within " + max);
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    List<Holding> holdings() {
        List<Holding> out = new ArrayList<>();
        for (int i = 0; i < apps.size(); i++) {
            if (closed.get(i)) continue;
            TopologyApp app = apps.get(i);
            TreeSet<Integer> partitions = new TreeSet<>();
            for (ThreadMetadata t : app.streams().metadataForLocalThreads()) t.activeTasks().forEach(task -> partitions.add(task.taskId().partition()));
            out.add(new Holding(i, new ArrayList<>(partitions), app.metrics().openRows.get(), app.metrics().processed.get()));
        }
        return out;
    }

    TopologyApp app(int i) {
        return apps.get(i);
    }

    Path stateDir(int i) {
        return stateDirs.get(i);
    }

    /** Tasks whose rows instance {@code i} rebuilt from connections, and the longest one's seconds. */
    long tasksRestored(int i) {
        Timer t = apps.get(i).meterRegistry().find("conntrail.topology.rows.restore").timer();
        return t == null ? 0 : t.count();
    }

    double longestRestoreSeconds(int i) {
        Timer t = apps.get(i).meterRegistry().find("conntrail.topology.rows.restore").timer();
        return t == null ? 0 : t.max(TimeUnit.NANOSECONDS) / 1e9;
    }

    /** Stops every running instance (each leaves the group). */
    void stopAll() {
        for (int i = 0; i < apps.size(); i++) {
            if (!closed.get(i)) {
                apps.get(i).close();
                closed.set(i, true);
            }
        }
    }

    /** Bytes under a directory. */
    static long bytesUnder(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0; // removed meanwhile
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stopAll();
        for (Path dir : stateDirs) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a temporary directory left behind: nothing to lose
            }
        }
    }
}
