package dev.conntrail.producer.agent;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Design rule 6 (loss): every loss is counted, logged (at most one line per window, with what was lost since the
 * last line) and asks for a resync. {@link #takeResync(long)} grants at most one resync per window.
 * Thread-safe: losses come from the tracer's reader thread, Kafka's I/O thread and conntrack threads.
 */
public final class LossTracker {
    private static final Logger LOG = LoggerFactory.getLogger(LossTracker.class);
    private final AgentMetrics metrics;
    private final long windowNanos;
    private final AtomicBoolean wanted = new AtomicBoolean();
    private final Map<LossCause, Long> sinceLog = new EnumMap<>(LossCause.class);
    private long lastLog = Long.MIN_VALUE;
    private long lastResync = Long.MIN_VALUE;

    public LossTracker(AgentMetrics metrics, Duration window) {
        this.metrics = metrics;
        this.windowNanos = window.toNanos();
    }

    /** Counts {@code n} lost events of one cause and asks for a resync (if a resync can repair that cause). */
    public void lost(LossCause cause, long n, String detail) {
        if (n <= 0) {
            return;
        }
        metrics.lost(cause, n);
        if (cause.resyncs) {
            wanted.set(true);
        }
        long now = System.nanoTime();
        String line = null;
        synchronized (sinceLog) {
            sinceLog.merge(cause, n, Long::sum);
            if (lastLog == Long.MIN_VALUE || now - lastLog >= windowNanos) {
                line = sinceLog + " (last: " + detail + ")";
                sinceLog.clear();
                lastLog = now;
            }
        }
        if (line != null) {
            LOG.warn("lost since the last report: {}{}", line, cause.resyncs
                    ? "; resyncing (at most once per " + windowNanos / 1_000_000_000L + " s)" : "");
        }
    }

    /**
     * Logs what was lost since the last line once a window has passed, even when no new loss comes to
     * trigger it (the agent thread calls this regularly). Returns the line logged, or null.
     */
    public String flushLog(long nowNanos) {
        String line;
        synchronized (sinceLog) {
            if (sinceLog.isEmpty() || (lastLog != Long.MIN_VALUE && nowNanos - lastLog < windowNanos)) {
                return null;
            }
            line = sinceLog.toString();
            sinceLog.clear();
            lastLog = nowNanos;
        }
        LOG.warn("lost since the last report: {}", line);
        return line;
    }

    /** Asks for a resync without a loss (e.g. the last resync failed). */
    public void requestResync() {
        wanted.set(true);
    }

    /** True when a resync was asked for and not yet taken. */
    public boolean resyncWanted() {
        return wanted.get();
    }

    /** Claims the pending resync if the window since the last one has passed. */
    public synchronized boolean takeResync(long nowNanos) {
        if (!wanted.get() || (lastResync != Long.MIN_VALUE && nowNanos - lastResync < windowNanos)) {
            return false;
        }
        wanted.set(false);
        lastResync = nowNanos;
        return true;
    }

    /** The start-up snapshot counts as the first "resync" for the rate limit. */
    synchronized void startedAt(long nowNanos) {
        lastResync = nowNanos;
    }
}
