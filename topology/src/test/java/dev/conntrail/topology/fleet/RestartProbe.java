package dev.conntrail.topology.fleet;

import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * An instance that starts over, at the size the fleet left: once the table matched, every instance stops; a new
 * one starts with an empty state directory and rebuilds the rows of all tasks from {@code connections}. Measured:
 * start to every task restored and the instance RUNNING, the restores' own time (the tasks restore one after
 * another on the stream thread), used heap after full collections with the instance running minus with none
 * (per open row), and its state directory on disk. The live hosts heartbeat throughout (a new instance counts
 * their silence from its own start); afterwards the table must still be as modelled, a window later.
 */
final class RestartProbe {
    private final TopologyInstances topology;
    private final FleetSimulator fleet;
    private final FleetModel model;
    private final TableWatcher watcher;
    private final int partitions;
    private final Duration window;

    RestartProbe(TopologyInstances topology, FleetSimulator fleet, FleetModel model, TableWatcher watcher, int partitions, Duration window) {
        this.topology = topology;
        this.fleet = fleet;
        this.model = model;
        this.watcher = watcher;
        this.partitions = partitions;
        this.window = window;
    }

    /** Prints the figures; true when the new instance came up and the table stayed as modelled. */
    boolean run() throws InterruptedException {
        long openBefore = topology.holdings().stream().mapToLong(TopologyInstances.Holding::openRows).sum();
        topology.stopAll();
        long heapWithout = usedHeapAfterFullGc();
        long start = System.nanoTime();
        int i = topology.start();
        long[] readyAt = {0};
        boolean ready = fleet.heartbeatUntil(() -> {
            if (topology.tasksRestored(i) < partitions || !topology.ready(partitions)) return false;
            readyAt[0] = System.nanoTime();
            return true;
        }, Duration.ofMinutes(3), Duration.ofMillis(50));
        if (!ready) {
            System.out.printf("restart: the new instance did not run with all %d tasks restored within 3 min (%d restored)%n", partitions,
                    topology.tasksRestored(i));
            return false;
        }
        double seconds = (readyAt[0] - start) / 1e9;
        var metrics = topology.app(i).metrics();
        double rows = metrics.count("conntrail.topology.rows.restored");
        double records = metrics.count("conntrail.topology.rows.restore.records");
        long open = metrics.openRows.get();
        long heapWith = usedHeapAfterFullGc();
        long disk = TopologyInstances.bytesUnder(topology.stateDir(i));
        System.out.printf("restart: a new instance with an empty state directory ran with all %d tasks restored %.2f s after its start"
                + " (group join included): %.0f rows (%d open; %d open before the stop) from %.0f records of connections; restores' own time"
                + " %.2f s in all (one after another on the stream thread), longest task %.2f s; %.0f rows/s of restore%n", partitions, seconds,
                rows, open, openBefore, records, metrics.restoreSeconds(), topology.longestRestoreSeconds(i), rows / metrics.restoreSeconds());
        System.out.printf("restart: used heap after full GCs %d MiB with the instance, %d MiB without: %.0f bytes per open row;"
                + " state directory %d bytes on disk%n", heapWith >> 20, heapWithout >> 20, (heapWith - heapWithout) / (double) Math.max(1, open), disk);
        fleet.heartbeatUntil(() -> false, window.plusSeconds(1));
        TableCheck.Result after = TableCheck.check(model, watcher);
        System.out.println("restart: a window later: " + after);
        return after.ok();
    }

    static long usedHeapAfterFullGc() throws InterruptedException {
        var memory = ManagementFactory.getMemoryMXBean();
        for (int k = 0; k < 3; k++) {
            System.gc();
            Thread.sleep(200);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
