package dev.conntrail.producer.agent;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Design rule 5 (convergence): after a publish stall longer than the window W the producer cannot know what the
 * topology saw. It may have judged this host lost (3 W without a record) and closed its rows, and nothing but a
 * snapshot reopens a quiet socket's row. So a stall asks for a resync, taken once records flow again (a snapshot
 * published into a stalled client would only wait behind the rest). A stall is:
 * <ul>
 * <li>a record acknowledged more than W after it was sent and after the acknowledgement before it: nothing
 * acknowledged for W while it waited (records before the last resync began excepted: that resync's records follow
 * them in the partition). A backlog that is acknowledged steadily is no stall, however long its last record
 * waited: this host's records kept reaching the broker, so the topology never saw it silent (a 200,000-socket
 * snapshot on a loaded machine took longer than W, and resynced for nothing when each record's own wait
 * counted);</li>
 * <li>heartbeats more than W later than their interval (the agent thread itself was held up: a full client
 * buffer, a paused process).</li>
 * </ul>
 * A send that fails is loss, which resyncs anyway (design rule 6). Thread-safe: acknowledgements come from
 * Kafka's I/O thread.
 */
final class PublishStalls {
    private static final Logger LOG = LoggerFactory.getLogger(PublishStalls.class);
    private final long windowNanos;
    private final AgentMetrics metrics;
    private final AtomicBoolean wanted = new AtomicBoolean();
    private volatile long resyncStarted;
    private final AtomicLong outstanding = new AtomicLong();
    private volatile long lastCompletion;
    private volatile long outstandingSince;
    private volatile boolean stallLogged;
    /** The longest acknowledgement of a stall not yet reported, in ns (0: none). */
    private final AtomicLong pending = new AtomicLong();

    PublishStalls(long windowNanos, AgentMetrics metrics) {
        this.windowNanos = windowNanos;
        this.metrics = metrics;
        long now = System.nanoTime();
        this.resyncStarted = now - 1;
        this.lastCompletion = now;
    }

    /** A record handed to the client at {@code sentAt} (System.nanoTime). */
    void sent(long sentAt) {
        if (outstanding.getAndIncrement() == 0) outstandingSince = sentAt;
    }

    /** The client answered for a record sent at {@code sentAt}: acknowledged, or failed (counted as loss elsewhere). */
    void answered(long sentAt, long now, boolean acknowledged) {
        long previous = lastCompletion;
        lastCompletion = now;
        if (outstanding.updateAndGet(n -> Math.max(0, n - 1)) == 0) stallLogged = false;
        long took = now - Math.max(sentAt, previous); // how long nothing was acknowledged while this record waited
        if (acknowledged && took > windowNanos && sentAt - resyncStarted >= 0) {
            pending.accumulateAndGet(took, Math::max);
            wanted.set(true);
        }
    }

    /** The agent thread published a heartbeat {@code lateBy} ns after it was due. */
    void heartbeat(long lateBy) {
        if (lateBy > windowNanos) {
            pending.accumulateAndGet(lateBy, Math::max);
            wanted.set(true);
        }
    }

    /**
     * Whether a stall asks for a resync (the agent thread then asks the loss tracker, which grants one per window).
     * A resync that starts clears it, so acknowledgements of records sent before that resync, arriving while it is
     * being granted, do not ask for another.
     */
    boolean takeWanted() {
        return wanted.getAndSet(false);
    }

    /** The resync the stalls asked for begins now: its records follow everything sent before. */
    void resyncStarting(long now) {
        resyncStarted = now;
        wanted.set(false);
        long took = pending.getAndSet(0);
        if (took > 0) {
            metrics.publishStall();
            LOG.warn("publishing stalled for {} ms (more than the window, {} s): the topology may have judged this host lost; resyncing",
                    took / 1_000_000, windowNanos / 1_000_000_000L);
        }
    }

    /** Called regularly by the agent thread: says once when records have waited a window with none acknowledged. */
    void check(long now) {
        long n = outstanding.get();
        if (n > 0 && !stallLogged && now - Math.max(lastCompletion, outstandingSince) > windowNanos) {
            stallLogged = true;
            LOG.warn("publishing stalled: {} records sent and none acknowledged for {} ms; a resync follows once they are", n,
                    (now - Math.max(lastCompletion, outstandingSince)) / 1_000_000);
        }
    }

    /** Records sent and not yet answered. */
    long outstanding() {
        return outstanding.get();
    }
}
