package dev.conntrail.topology.liveness;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Turns observations of the inputs' end offsets and the application's committed offsets into
 * {@link InputProgress}: partition {@code p} is read through up to an observation of the end offsets made at
 * wall time {@code t} once the committed offset of partition {@code p} of every input is at or past what the end
 * offset was at {@code t}. The committed offset moves only after the records before it were processed, so
 * everything appended by {@code t} was processed. A later check confirms an earlier observation, so a task that
 * keeps a steady lag still proves its silence, only later by that lag.
 *
 * <p>Observations more than {@code maxGap} apart break the proof: what happened between them is unknown (the
 * broker was unreachable, or this process did not run), and silence is counted again from the first observation
 * after the gap. Thread-safe: the watcher thread writes, stream threads read.
 */
public final class CatchUpLedger implements InputProgress {
    /** One reading of the end offsets. */
    private record Observation(long at, long since, Map<TopicPartition, Long> ends) {
    }

    private final long maxGapMs;
    private final int maxHistory;
    private final ArrayDeque<Observation> history = new ArrayDeque<>();
    private final Map<Integer, ReadThrough> proofs = new HashMap<>();
    private long lastAt = Long.MIN_VALUE;
    private long since = Long.MIN_VALUE;
    private long gaps;

    /**
     * @param maxGapMs   observations further apart than this break the proof (the window W)
     * @param maxHistory observations kept for a lagging task (older ones are dropped: a task lagging further
     *                   proves nothing until it has caught up that far)
     */
    public CatchUpLedger(long maxGapMs, int maxHistory) {
        if (maxGapMs <= 0 || maxHistory < 1) throw new IllegalArgumentException("gap and history must be positive");
        this.maxGapMs = maxGapMs;
        this.maxHistory = maxHistory;
    }

    /**
     * Records one check: the inputs' end offsets as read at wall time {@code at} (read before the committed
     * offsets), and the application's committed offsets read after them (a partition with none committed counts
     * as at offset 0).
     */
    public synchronized void observe(long at, Map<TopicPartition, Long> ends, Map<TopicPartition, Long> committed) {
        if (lastAt != Long.MIN_VALUE && at < lastAt) return; // the clock stepped back: keep the older, safer proof
        if (lastAt == Long.MIN_VALUE || at - lastAt > maxGapMs) {
            if (lastAt != Long.MIN_VALUE) gaps++;
            since = at;
        }
        lastAt = at;
        history.addLast(new Observation(at, since, Map.copyOf(ends)));
        while (history.size() > maxHistory) history.removeFirst();
        Map<Integer, java.util.List<TopicPartition>> byPartition = new HashMap<>();
        for (TopicPartition tp : ends.keySet()) byPartition.computeIfAbsent(tp.partition(), k -> new java.util.ArrayList<>()).add(tp);
        byPartition.forEach((p, tps) -> {
            ReadThrough known = proofs.get(p);
            for (Iterator<Observation> it = history.descendingIterator(); it.hasNext(); ) {
                Observation o = it.next();
                if (known != null && o.at <= known.at()) break;
                if (readThrough(o, tps, committed)) {
                    proofs.put(p, new ReadThrough(o.at, o.since));
                    break;
                }
            }
        });
        // observations every partition has passed are of no more use
        long oldestProof = Long.MAX_VALUE;
        for (Integer p : byPartition.keySet()) {
            ReadThrough r = proofs.get(p);
            oldestProof = Math.min(oldestProof, r == null ? Long.MIN_VALUE : r.at());
        }
        while (history.size() > 1 && history.peekFirst().at < oldestProof) history.removeFirst();
    }

    private static boolean readThrough(Observation o, java.util.List<TopicPartition> tps, Map<TopicPartition, Long> committed) {
        for (TopicPartition tp : tps) {
            Long end = o.ends.get(tp);
            if (end == null || committed.getOrDefault(tp, 0L) < end) return false;
        }
        return true;
    }

    @Override
    public synchronized ReadThrough readThrough(int partition, long now) {
        return proofs.get(partition);
    }

    /** Wall-clock ms of the oldest proof over all partitions seen (Long.MIN_VALUE: a partition has none yet). */
    public synchronized long oldestProof() {
        if (proofs.isEmpty()) return Long.MIN_VALUE;
        long oldest = Long.MAX_VALUE;
        for (ReadThrough r : proofs.values()) oldest = Math.min(oldest, r.at());
        return oldest;
    }

    /** How many times the observations broke off for more than the gap. */
    public synchronized long gaps() {
        return gaps;
    }

    /** Wall-clock ms of the last observation; Long.MIN_VALUE before the first. */
    public synchronized long lastObservation() {
        return lastAt;
    }
}
