package dev.conntrail.topology.fleet;

import dev.conntrail.avro.Connection;
import dev.conntrail.cli.DurationConverter;
import dev.conntrail.topology.fleet.FleetModel.Fate;
import dev.conntrail.topology.it.TestSerdes;
import dev.conntrail.topology.run.TopologyApp;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The fleet benchmark (bench/fleet-bench.sh): a simulated fleet ({@link FleetSimulator}) through the real
 * topology (TopologyApp, exactly_once_v2, rows on the heap) on the testkit's in-JVM broker and Apicurio
 * registry, all in this JVM. Prints progress once a second, then one table: the rate the fleet held, how
 * far CLOSED rows trail their CLOSE, and whether the table came to what the simulator's model says.
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

    public static void main(String[] args) {
        System.exit(new CommandLine(new FleetBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (heartbeat.compareTo(window) >= 0) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--heartbeat (" + heartbeat + ") must be less than --window (" + window
                    + "): a host heartbeating less often than W looks dead to the topology");
        }
        Duration back = returnAfter != null ? returnAfter : vanishAfter.plus(window.multipliedBy(5));
        FleetPlan plan = new FleetPlan(hosts, snapshot, churn, lifetime, natShare, heartbeat, lost, returning, vanishAfter, back, churnFor, rate,
                maxRecords, maxTime, seed);
        String loadAtStart = loadAverage();
        System.out.printf("fleet: %d hosts x %d open connections, %.2f new connections/s per host (life %s), NAT share %.2f, heartbeat %s,"
                + " %d lost and %d returning hosts; planned %.0f records/s once up, at most %d/s; W %s, %d partitions%n", hosts, snapshot, churn,
                lifetime, natShare, heartbeat, lost, returning, plan.plannedRate(), rate, window, partitions);
        System.out.printf("machine: %d cores, %s, java %s; %s; load average %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.version"), System.getProperty("java.version"), Instant.now(), loadAtStart);
        Map<String, Object> client = TestSerdes.client();
        String prefix = "fleet" + UUID.randomUUID().toString().substring(0, 8) + "-";
        try (TopologyApp app = TopologyApp.start(FleetTopology.options(client, prefix, Files.createTempDirectory("fleet-bench"), window, partitions));
                FleetSender sender = new FleetSender(client, prefix + "tcp-events", prefix + "conntrack-nat");
                TableWatcher watcher = new TableWatcher(client, prefix + "connections", TestSerdes.forValues(Connection.class).deserializer())) {
            FleetSimulator fleet = new FleetSimulator(plan, sender, s -> System.out.println(s + "; row changes read " + watcher.changes()));
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
            System.out.println("| hosts | open at start | new connections/s | records sent | start-ups s | churn s | records/s planned | records/s held in churn"
                    + " | behind schedule, worst ms | CLOSE -> CLOSED row p50 / p99 / max ms (rows) | the same, closes 30 s or more into the churn | table as modelled | after churn end s | load avg start / end |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            System.out.printf("| %d | %d | %.0f | %d | %.1f | %.1f | %.0f | %.0f | %d | %s | %s | %s | %.1f | %s / %s |%n", hosts,
                    (long) hosts * snapshot, hosts * churn, sender.sent(), fleet.startupSeconds(), fleet.churnSeconds(), plan.plannedRate(),
                    fleet.churnRate(), fleet.worstLagMillis(), percentiles(lat), percentiles(warm),
                    matched ? "yes, " + result.rowsExpected() + " rows" : "NO", settledAfter, loadAtStart, loadAverage());
            System.out.printf("fates: %d open, %d closed, %d host lost, %d open again after their host returned; sends failed: %d%n",
                    model.count(Fate.OPEN), model.count(Fate.CLOSED), model.count(Fate.HOST_LOST), model.count(Fate.HOST_LOST_THEN_OPEN), sender.failed());
            System.out.println(result);
            return matched && sender.failed() == 0 ? 0 : 1;
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
