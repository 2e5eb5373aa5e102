package dev.conntrail.topology;

import java.time.Duration;

/**
 * What the connection table needs to know besides its serdes.
 *
 * @param window            W of design rules 4 (windows) and 5 (convergence): tumbling windows aligned to the epoch
 * @param punctuateEvery    wall-clock punctuation interval (at most one second, design rule 4 (windows))
 * @param defaultRootNetns  the root network namespace inode assumed for a host until its HEARTBEAT
 *                          or SNAPSHOT_END names one (see {@link #FIXED_INIT_NET_INODE})
 * @param storeCaching      Kafka Streams' record cache on the state stores (off by default: measured
 *                          slower with our keys, see BENCHMARKS.md)
 * @param persistentStores  rows in a logged RocksDB store (true, for tables larger than the heap) or on the
 *                          heap with {@code connections} as their changelog (false, the default)
 * @param inputPartitions   the inputs' partition count, to check that each host's records reach the task
 *                          of its partition; 0 when unknown (no check)
 * @param clockTolerance    how far ahead of the topology's clock a host's event time may be and still count as
 *                          it is for window decisions (design rule 4); a time further ahead counts as this far
 *                          ahead (the row keeps the host's time)
 */
public record TopologySettings(TopicNames topics, Duration window, Duration punctuateEvery, long defaultRootNetns,
        boolean storeCaching, boolean persistentStores, int inputPartitions, Duration clockTolerance) {

    /** Clocks kept by NTP agree to milliseconds; a second more is skew, not jitter. */
    public static final Duration DEFAULT_CLOCK_TOLERANCE = Duration.ofSeconds(1);

    /**
     * Linux gives the initial network namespace a fixed inode ({@code PROC_NET_INIT_INO},
     * 0xEFFFFFF9) on recent kernels (6.18 here: {@code readlink /proc/1/ns/net} is
     * {@code net:[4026531833]}); older kernels allocate it at boot, so a HEARTBEAT's netns wins.
     */
    public static final long FIXED_INIT_NET_INODE = 0xEFFFFFF9L;

    public TopologySettings {
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("the window must be positive, not " + window);
        }
        if (punctuateEvery.compareTo(Duration.ofSeconds(1)) > 0 || punctuateEvery.isZero() || punctuateEvery.isNegative()) {
            throw new IllegalArgumentException("punctuation must run at least every second, not every " + punctuateEvery);
        }
        if (clockTolerance.isNegative()) {
            throw new IllegalArgumentException("the clock tolerance must not be negative, not " + clockTolerance);
        }
    }

    /** Punctuation every 100 ms (or every W if shorter): a window's tombstones are spread over the second after its boundary. */
    public static TopologySettings defaults(Duration window) {
        Duration every = window.compareTo(Duration.ofMillis(100)) < 0 ? window : Duration.ofMillis(100);
        // in-memory (changelogged) stores: measured faster than RocksDB here (BENCHMARKS.md); --state-store rocksdb for big tables
        return new TopologySettings(TopicNames.DEFAULTS, window, every, FIXED_INIT_NET_INODE, false, false, 0, DEFAULT_CLOCK_TOLERANCE);
    }

    public TopologySettings withTopics(TopicNames names) {
        return new TopologySettings(names, window, punctuateEvery, defaultRootNetns, storeCaching, persistentStores, inputPartitions, clockTolerance);
    }

    public TopologySettings withStoreCaching(boolean caching) {
        return new TopologySettings(topics, window, punctuateEvery, defaultRootNetns, caching, persistentStores, inputPartitions, clockTolerance);
    }

    public TopologySettings withPersistentStores(boolean persistent) {
        return new TopologySettings(topics, window, punctuateEvery, defaultRootNetns, storeCaching, persistent, inputPartitions, clockTolerance);
    }

    public TopologySettings withInputPartitions(int n) {
        return new TopologySettings(topics, window, punctuateEvery, defaultRootNetns, storeCaching, persistentStores, n, clockTolerance);
    }

    public TopologySettings withClockTolerance(Duration tolerance) {
        return new TopologySettings(topics, window, punctuateEvery, defaultRootNetns, storeCaching, persistentStores, inputPartitions,
                tolerance);
    }

    /**
     * Design rule 4 (windows): the first window boundary at or after {@code max(closedAt, appliedAt) + W}, where a
     * {@code closedAt} more than {@link #clockTolerance} ahead of {@code appliedAt} (a host clock ahead of the
     * topology's) counts as {@code appliedAt + clockTolerance}: a skewed clock delays a tombstone by at most that.
     */
    public long tombstoneAt(long closedAtMs, long appliedAtMs) {
        long w = window.toMillis();
        long due = Math.max(windowTime(closedAtMs, appliedAtMs), appliedAtMs) + w;
        return Math.floorDiv(due + w - 1, w) * w;
    }

    /** A host's event time as window decisions count it: at most {@link #clockTolerance} ahead of the topology's clock {@code nowMs}. */
    public long windowTime(long eventMs, long nowMs) {
        long limit = nowMs + clockTolerance.toMillis();
        return Math.min(eventMs, limit);
    }
}
