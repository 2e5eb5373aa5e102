package dev.conntrail.topology.fleet;

import dev.conntrail.avro.Connection;
import dev.conntrail.cli.DurationConverter;
import dev.conntrail.topology.fleet.FleetModel.Fate;
import dev.conntrail.topology.it.TestSerdes;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The fleet benchmark (bench/fleet-bench.sh): a simulated fleet ({@link FleetSimulator}) through the real
 * topology (one or more TopologyApp instances of one application id, exactly_once_v2, rows on the heap) on the
 * testkit's in-JVM broker and Apicurio registry, all in this JVM. Prints progress once a second, then one table:
 * the rate the fleet held, how far CLOSED rows trail their CLOSE, and whether the table came to what the
 * simulator's model says; then what each instance holds, how long hosts' snapshots in the churn took to show in
 * the table, per step of a ramp the rate held and its latency, and the restore of an instance that starts over.
 */
@Command(name = "fleet-bench", mixinStandardHelpOptions = true, description = "A simulated fleet through the topology.")
public final class FleetBench implements Callable<Integer> {
    @Option(names = "--hosts", defaultValue = "1000", description = "simulated hosts (default ${DEFAULT-VALUE})")
    int hosts;
    @Option(names = "--snapshot", defaultValue = "100", description = "connections open on each host at its start (default ${DEFAULT-VALUE})")
    int snapshot;
    @Option(names = "--churn", defaultValue = "1", description = "connections opened per second per host (default ${DEFAULT-VALUE})")
    double churn;
    @Option(names = "--lifetime", defaultValue = "2s", converter = DurationConverter.class, description = "mean life of a churned connection (default ${DEFAULT-VALUE})")
    Duration lifetime;
    @Option(names = "--nat-share", defaultValue = "0.25", description = "share of outgoing connections through a DNAT (default ${DEFAULT-VALUE})")
    double natShare;
    @Option(names = "--heartbeat", defaultValue = "5s", converter = DurationConverter.class, description = "heartbeat interval (default ${DEFAULT-VALUE})")
    Duration heartbeat;
    @Option(names = "--window", defaultValue = "10s", converter = DurationConverter.class, description = "the topology's window W (default ${DEFAULT-VALUE})")
    Duration window;
    @Option(names = "--lost", defaultValue = "5", description = "hosts that vanish for good (default ${DEFAULT-VALUE})")
    int lost;
    @Option(names = "--returning", defaultValue = "5", description = "hosts that vanish and come back (default ${DEFAULT-VALUE})")
    int returning;
    @Option(names = "--vanish-after", defaultValue = "20s", converter = DurationConverter.class, description = "when they vanish, after the last start-up (default ${DEFAULT-VALUE})")
    Duration vanishAfter;
    @Option(names = "--return-after", converter = DurationConverter.class, description = "when the returning ones come back (default: vanish-after + 5 W)")
    Duration returnAfter;
    @Option(names = "--churn-for", defaultValue = "120s", converter = DurationConverter.class, description = "how long the churn lasts (default ${DEFAULT-VALUE})")
    Duration churnFor;
    @Option(names = "--rate", defaultValue = "20000", description = "records/s the fleet never exceeds (default ${DEFAULT-VALUE})")
    int rate;
    @Option(names = "--max-records", defaultValue = "20000000", description = "stop the churn after this many records (default ${DEFAULT-VALUE})")
    long maxRecords;
    @Option(names = "--max-time", defaultValue = "15m", converter = DurationConverter.class, description = "stop the churn after this long (default ${DEFAULT-VALUE})")
    Duration maxTime;
    @Option(names = "--settle", defaultValue = "3m", converter = DurationConverter.class, description = "longest wait for the table after the churn (default ${DEFAULT-VALUE})")
    Duration settle;
    @Option(names = "--partitions", defaultValue = "6", description = "partitions of the topics (default ${DEFAULT-VALUE})")
    int partitions;
    @Option(names = "--seed", defaultValue = "20261207", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--instances", defaultValue = "1", description = "topology instances (same application id, a state directory each) in this JVM,"
            + " sharing its cores (default ${DEFAULT-VALUE})")
    int instances;
    @Option(names = "--resync-hosts", defaultValue = "10", description = "live hosts that take a fresh snapshot in the churn (default ${DEFAULT-VALUE})")
    int resyncHosts;
    @Option(names = "--resync-after", defaultValue = "30s", converter = DurationConverter.class, description = "when, from the churn's start (default ${DEFAULT-VALUE})")
    Duration resyncAfter;
    @Option(names = "--resync-missing", defaultValue = "0.1", description = "share of a resyncing host's open connections whose CLOSE was lost"
            + " before it: closed NOT_IN_SNAPSHOT (default ${DEFAULT-VALUE})")
    double resyncMissing;
    @Option(names = "--churn-steps", split = ",", description = "a ramp: new connections/s per host of each of as many equal steps of --churn-for"
            + " (replaces --churn), e.g. 2,4,8,16")
    List<Double> churnSteps = new ArrayList<>();
    @Option(names = "--restart", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "once the table matched: stop the instances, start one with an empty state directory, time its restore, heap and"
                    + " state per open row (default ${DEFAULT-VALUE})")
    boolean restart;
    @Option(names = "--jfr", description = "record a JFR profile (settings 'profile') to this file, and print the stream threads' top frames per step")
    Path jfr;

    public static void main(String[] args) {
        System.exit(new CommandLine(new FleetBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (heartbeat.compareTo(window) >= 0) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--heartbeat (" + heartbeat + ") must be less than --window (" + window
                    + "): a host heartbeating less often than W looks dead to the topology");
        }
        if (instances < 1 || instances > partitions) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--instances (" + instances + ") must be 1 to --partitions ("
                    + partitions + "): an instance without a task holds nothing");
        }
        Duration back = returnAfter != null ? returnAfter : vanishAfter.plus(window.multipliedBy(5));
        FleetPlan plan = new FleetPlan(hosts, snapshot, churn, lifetime, natShare, heartbeat, lost, returning, vanishAfter, back, churnFor, rate,
                maxRecords, maxTime, seed, new FleetPlan.Resync(resyncHosts, resyncAfter, resyncMissing), churnSteps);
        String loadAtStart = loadAverage();
        System.out.printf("fleet: %d hosts x %d open connections, %s new connections/s per host (life %s), NAT share %.2f, heartbeat %s,"
                + " %d lost and %d returning hosts, %d resyncing at %s (%.0f %% of their connections' CLOSEs lost); planned %.0f records/s once up,"
                + " at most %d/s; W %s, %d partitions; %d topology instance(s) in this JVM%n", hosts, snapshot,
                churnSteps.isEmpty() ? String.valueOf(churn) : "steps of " + plan.stepFor() + " at " + churnSteps, lifetime, natShare, heartbeat,
                lost, returning, resyncHosts, resyncAfter, 100 * resyncMissing, plan.plannedRate(), rate, window, partitions, instances);
        System.out.printf("machine: %d cores, %s, java %s; %s; load average %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.version"), System.getProperty("java.version"), Instant.now(), loadAtStart);
        Map<String, Object> client = TestSerdes.client();
        String prefix = "fleet" + UUID.randomUUID().toString().substring(0, 8) + "-";
        Recording recording = jfr == null ? null : startRecording();
        try (TopologyInstances topology = new TopologyInstances(dir -> FleetTopology.options(client, prefix, dir, window, partitions), instances);
                FleetSender sender = new FleetSender(client, prefix + "tcp-events", prefix + "conntrack-nat");
                TableWatcher watcher = new TableWatcher(client, prefix + "connections", TestSerdes.forValues(Connection.class).deserializer())) {
            topology.awaitReady(partitions, Duration.ofSeconds(90));
            FleetSimulator fleet = new FleetSimulator(plan, sender, s -> System.out.println(s + "; row changes read " + watcher.changes()),
                    watcher.convergence());
            fleet.run();
            long churnEnded = System.nanoTime();
            FleetModel model = fleet.model();
            boolean matched = fleet.heartbeatUntil(() -> TableCheck.check(model, watcher).ok(), settle);
            double settledAfter = (System.nanoTime() - churnEnded) / 1e9;
            TableCheck.Result result = TableCheck.check(model, watcher);
            long[] lat = watcher.closeToRowMillis(0);
            // once the start-ups' backlog is behind (as bench/topology-bench.sh reports after its first 5 s)
            long[] warm = watcher.closeToRowMillis(fleet.steadyAtMillis() + 30_000);
            System.out.println();
            System.out.println("| hosts | open at start | new connections/s | instances | records sent | start-ups s | churn s | records/s planned"
                    + " | records/s held in churn | behind schedule, worst ms | CLOSE -> CLOSED row p50 / p99 / max ms (rows)"
                    + " | the same, closes 30 s or more into the churn | table as modelled | after churn end s | load avg start / end |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            System.out.printf("| %d | %d | %s | %d | %d | %.1f | %.1f | %.0f | %.0f | %d | %s | %s | %s | %.1f | %s / %s |%n", hosts,
                    (long) hosts * snapshot, churnSteps.isEmpty() ? String.format("%.0f", hosts * churn) : "ramp", instances, sender.sent(),
                    fleet.startupSeconds(), fleet.churnSeconds(), plan.plannedRate(), fleet.churnRate(), fleet.worstLagMillis(), percentiles(lat),
                    percentiles(warm), matched ? "yes, " + result.rowsExpected() + " rows" : "NO", settledAfter, loadAtStart, loadAverage());
            System.out.printf("fates: %d open, %d closed, %d host lost, %d open again after their host returned, %d closed as not in a resync's"
                    + " snapshot; sends failed: %d%n", model.count(Fate.OPEN), model.count(Fate.CLOSED), model.count(Fate.HOST_LOST),
                    model.count(Fate.HOST_LOST_THEN_OPEN), model.count(Fate.NOT_IN_SNAPSHOT), sender.failed());
            System.out.println(result);
            topology.holdings().forEach(h -> System.out.println("holds: " + h));
            printConvergence(watcher.convergence().results());
            List<FleetSimulator.Step> steps = fleet.steps();
            if (steps.size() > 1) printSteps(steps, watcher);
            boolean restartOk = true;
            if (restart && matched) restartOk = new RestartProbe(topology, fleet, model, watcher, partitions, window).run();
            if (recording != null) profile(recording, steps);
            return matched && restartOk && sender.failed() == 0 ? 0 : 1;
        } finally {
            if (recording != null) recording.close();
        }
    }

    private Recording startRecording() throws Exception {
        Recording r = new Recording(Configuration.getConfiguration("profile"));
        r.setToDisk(true);
        r.setDestination(jfr);
        r.start();
        return r;
    }

    /** The stream threads' top frames in each step (its first 5 s left out: the rate changes there). */
    private void profile(Recording recording, List<FleetSimulator.Step> steps) throws Exception {
        recording.stop();
        System.out.println("JFR recording: " + jfr);
        for (FleetSimulator.Step s : steps) {
            Instant from = Instant.ofEpochMilli(s.startWallMillis() + 5_000);
            Instant to = Instant.ofEpochMilli(s.startWallMillis() + s.millis());
            if (!from.isBefore(to)) continue;
            StreamThreadProfile.Result p = StreamThreadProfile.read(jfr, "StreamThread", from, to, 12);
            double seconds = (to.toEpochMilli() - from.toEpochMilli()) / 1000.0;
            System.out.printf("stream threads, step at %.0f connections/s per host (%s to %s): %d execution samples (%d with a stack:"
                    + " seen running Java code about %.0f %% of the time)%n", s.churnPerHost(), from, to, p.samples(), p.runnableSamples(),
                    100 * p.busyShare(seconds));
            System.out.println("  top frames:");
            p.top().forEach(x -> System.out.println("    " + x));
            System.out.println("  the topology's methods on the stack:");
            p.inclusive().forEach(x -> System.out.println("    " + x));
        }
    }

    /** Time to converge after each host's snapshot taken in the churn, by why it was taken. */
    static void printConvergence(List<SnapshotConvergence.Converged> all) {
        Map<String, List<SnapshotConvergence.Converged>> byWhy = new java.util.TreeMap<>();
        for (SnapshotConvergence.Converged c : all) byWhy.computeIfAbsent(c.why(), k -> new ArrayList<>()).add(c);
        byWhy.forEach((why, list) -> {
            long[] ms = list.stream().filter(c -> c.millis() >= 0).mapToLong(SnapshotConvergence.Converged::millis).sorted().toArray();
            long never = list.stream().filter(c -> c.millis() < 0).count();
            int open = list.stream().mapToInt(SnapshotConvergence.Converged::open).sum();
            int gone = list.stream().mapToInt(SnapshotConvergence.Converged::gone).sum();
            System.out.printf("snapshot to table (%s): %d hosts (%d sockets in their snapshots, %d left out); SNAPSHOT_END sent -> host as modelled"
                    + " p50 / max %s ms; %d never converged%n", why, list.size(), open, gone,
                    ms.length == 0 ? "none" : pct(ms, 0.5) + " / " + ms[ms.length - 1], never);
        });
    }

    /** Per step of a ramp: the rate asked and held, how far behind the fleet fell, and CLOSE -> CLOSED of the closes in it (its first 5 s left out). */
    static void printSteps(List<FleetSimulator.Step> steps, TableWatcher watcher) {
        System.out.println();
        System.out.println("| new connections/s per host | records/s planned | records/s held | behind schedule, worst ms | CLOSE -> CLOSED row p50 / p99 / max ms (rows), closes 5 s or more into the step |");
        System.out.println("|---|---|---|---|---|");
        for (FleetSimulator.Step s : steps) {
            long[] lat = watcher.closeToRowMillis(s.startWallMillis() + 5_000, s.startWallMillis() + s.millis());
            System.out.printf("| %.1f | %.0f | %.0f | %d | %s |%n", s.churnPerHost(), s.plannedRate(), s.heldRate(), s.worstLagMillis(), percentiles(lat));
        }
    }

    static String percentiles(long[] sorted) {
        if (sorted.length == 0) return "none";
        return pct(sorted, 0.5) + " / " + pct(sorted, 0.99) + " / " + sorted[sorted.length - 1] + " (" + sorted.length + ")";
    }

    static long pct(long[] sorted, double q) {
        return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    static String loadAverage() {
        return String.format("%.1f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
