package dev.conntrail.topology;

import dev.conntrail.avro.Connection;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.rows.RowTable;
import dev.conntrail.topology.state.RowState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Design rule 4 (windows): the tombstones of closed rows, written when due. The schedule lives only in
 * memory and is rebuilt from the rows at init ({@link #scheduleRestored}); every entry is checked
 * against its row before it acts ({@link RowTable#deleteIfDue}), so a stale entry (the row reopened
 * or already gone) is harmless.
 */
final class Expiry {
    /** Per punctuation on due tombstones: 15 ms (of 100) kept the CLOSE -> CLOSED p99 at 361-409 ms where 50 ms gave 454-553 (BENCHMARKS.md). */
    static final long SLICE_NANOS = 15_000_000L;
    /** ... unless they are over a second late: then 50 ms, so tombstones keep up with any close rate the input can carry. */
    static final long CATCH_UP_SLICE_NANOS = 50_000_000L;
    private static final long LATE_MS = 1_000;

    private final ProcessorContext<String, Connection> context;
    private final RowTable rows;
    private final RowCounts counts;
    private final TopologyMetrics metrics;
    private final long punctuateEveryMs;
    /** Row keys by tombstone time; a key may appear twice (harmless: each is checked against the row before it acts). */
    private final TreeMap<Long, List<String>> due = new TreeMap<>();
    /** The list of the last scheduled tombstone time: a window's closes all go to one boundary (profiled: the tree walk was 2.5 %). */
    private long lastDueAt;
    private List<String> lastDue;

    Expiry(ProcessorContext<String, Connection> context, RowTable rows, RowCounts counts, TopologyMetrics metrics, long punctuateEveryMs) {
        this.context = context;
        this.rows = rows;
        this.counts = counts;
        this.metrics = metrics;
        this.punctuateEveryMs = punctuateEveryMs;
    }

    /** A closed row found at init. */
    void scheduleRestored(String rowKey, RowState row) {
        schedule(row.tombstoneAt, rowKey);
    }

    void schedule(long at, String rowKey) {
        if (lastDue == null || at != lastDueAt) {
            lastDue = due.computeIfAbsent(at, t -> new ArrayList<>());
            lastDueAt = at;
        }
        lastDue.add(rowKey);
    }

    /**
     * Windows are aligned, so a whole window's closes fall due at once; the tasks of a stream thread
     * spend at most {@link #SLICE_NANOS} of each punctuation interval on them together
     * ({@link ExpiryBudget}; {@link #CATCH_UP_SLICE_NANOS} once the oldest is a second late) and
     * leave the rest to the next interval, so input keeps flowing and its transactions stay small.
     * The tombstone-lateness metric shows any backlog.
     */
    void expireDue(long now) {
        if (due.isEmpty() || due.firstKey() > now) return;
        long slice = now - due.firstKey() > LATE_MS ? CATCH_UP_SLICE_NANOS : SLICE_NANOS;
        ExpiryBudget budget = ExpiryBudget.ofThisThread();
        long left = budget.remaining(now, punctuateEveryMs, slice);
        if (left <= 0) return;
        long start = System.nanoTime();
        try {
            expireDue(now, start + left);
        } finally {
            budget.spend(System.nanoTime() - start);
        }
    }

    private void expireDue(long now, long stopAt) {
        int done = 0;
        while (!due.isEmpty() && due.firstKey() <= now) {
            Map.Entry<Long, List<String>> first = due.firstEntry();
            List<String> keys = first.getValue();
            while (!keys.isEmpty()) {
                String rk = keys.remove(keys.size() - 1);
                long tombstoneAt = rows.deleteIfDue(rk, now);
                if (tombstoneAt != RowState.NONE) {
                    counts.expired();
                    metrics.expired(now - tombstoneAt);
                    context.forward(new Record<>(rows.idOf(rk), null, now));
                }
                if ((++done & 255) == 0 && System.nanoTime() > stopAt) return;
            }
            due.remove(first.getKey());
            if (keys == lastDue) lastDue = null;
        }
    }

    /** Scheduled entries, stale ones included. */
    int scheduled() {
        int n = 0;
        for (List<String> keys : due.values()) n += keys.size();
        return n;
    }
}
