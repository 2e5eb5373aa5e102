package dev.conntrail.topology.liveness;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the inputs' end offsets and the application's committed offsets every {@code every} (a fraction of the
 * window) into a {@link CatchUpLedger}: the evidence on which the topology judges hosts lost (design rule 5,
 * convergence). A check that fails (broker unreachable, timeout) records nothing, so the proof breaks off when
 * checks fail for longer than a window. One daemon thread with its own admin client; {@link #close()} stops it.
 */
public final class OffsetWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OffsetWatcher.class);
    private final Map<String, Object> adminProperties;
    private volatile Admin admin;
    private final String groupId;
    private final List<TopicPartition> inputs;
    private final long everyMs;
    private final long timeoutMs;
    private final CatchUpLedger ledger;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long failedChecks;
    private long failingSince = Long.MIN_VALUE;

    /**
     * @param groupId the Streams application id (its consumer group commits the input offsets)
     * @param topics  the input topics, each with {@code partitions} partitions
     * @param window  W: checks every W/5 (at least every second, at most every 100 ms); a proof breaks after W
     *                without a successful check
     */
    public OffsetWatcher(Map<String, Object> adminProperties, String groupId, List<String> topics, int partitions, Duration window) {
        this.adminProperties = Map.copyOf(adminProperties);
        this.groupId = groupId;
        List<TopicPartition> tps = new java.util.ArrayList<>();
        for (String t : topics) {
            for (int p = 0; p < partitions; p++) tps.add(new TopicPartition(t, p));
        }
        this.inputs = List.copyOf(tps);
        long w = window.toMillis();
        this.everyMs = Math.max(100, Math.min(1000, w / 5));
        this.timeoutMs = Math.max(everyMs, w);
        this.ledger = new CatchUpLedger(w, (int) Math.max(60, Duration.ofMinutes(10).toMillis() / everyMs));
        this.thread = new Thread(this::run, "conntrail-offset-watcher");
        thread.setDaemon(true);
    }

    /** Creates the admin client and starts checking. */
    public OffsetWatcher start() {
        admin = Admin.create(adminProperties);
        thread.start();
        return this;
    }

    public CatchUpLedger ledger() {
        return ledger;
    }

    public long failedChecks() {
        return failedChecks;
    }

    private void run() {
        while (running) {
            long started = System.currentTimeMillis();
            try {
                long gapsBefore = ledger.gaps();
                long previous = ledger.lastObservation();
                check(started);
                if (ledger.gaps() > gapsBefore && failingSince == Long.MIN_VALUE) {
                    log.warn("input offsets read {} ms after the previous read (more than the window; this one took {} ms): hosts' silence is "
                            + "counted from now", started - previous, System.currentTimeMillis() - started);
                }
                if (failingSince != Long.MIN_VALUE) {
                    log.info("input offsets readable again after {} ms: hosts' silence is counted from now", started - failingSince);
                    failingSince = Long.MIN_VALUE;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                failedChecks++;
                if (failingSince == Long.MIN_VALUE) {
                    failingSince = started;
                    log.warn("cannot read the input offsets ({}): no host is judged lost while this lasts", rootMessage(e));
                }
            }
            long sleep = everyMs - (System.currentTimeMillis() - started);
            if (sleep > 0) {
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** One check: end offsets first (the time they are read for is taken before asking), then the committed offsets. */
    void check(long at) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (TopicPartition tp : inputs) latest.put(tp, OffsetSpec.latest());
        ListOffsetsResult ends = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED).timeoutMs((int) timeoutMs));
        Map<TopicPartition, Long> endOffsets = new HashMap<>();
        ends.all().get(timeoutMs, TimeUnit.MILLISECONDS).forEach((tp, info) -> endOffsets.put(tp, info.offset()));
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata()
                .get(timeoutMs, TimeUnit.MILLISECONDS);
        Map<TopicPartition, Long> positions = new HashMap<>();
        committed.forEach((tp, o) -> {
            if (o != null) positions.put(tp, o.offset());
        });
        ledger.observe(at, endOffsets, positions);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.toString();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            if (thread.isAlive()) thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (admin != null) admin.close(Duration.ofSeconds(2));
    }
}
