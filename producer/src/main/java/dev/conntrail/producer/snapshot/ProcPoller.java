package dev.conntrail.producer.snapshot;

import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The polling fallback (source PROC_POLL) for hosts without BPF: takes a snapshot every interval and
 * turns the difference into CONNECT (new OUTGOING socket), ACCEPT (new INCOMING socket) and CLOSE
 * (socket gone or out of the connected states) events, so the topics look the same. A connection is
 * keyed by (netns, family, tuple): it cannot see connections shorter than the interval, nor a tuple
 * closed and reused within one interval.
 */
public final class ProcPoller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProcPoller.class);

    private final SocketSnapshotter snapshotter;
    private final SnapshotEvents events;
    private final Duration interval;
    private final ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    private Map<Key, SocketEntry> previous;
    private ScheduledExecutorService timer;

    /** Polls taken, failed polls, events made, and the last poll's CPU and wall time (ns). */
    public final AtomicLong polls = new AtomicLong();
    public final AtomicLong failures = new AtomicLong();
    public final AtomicLong eventsMade = new AtomicLong();
    public final AtomicLong lastPollCpuNanos = new AtomicLong();
    public final AtomicLong lastPollWallNanos = new AtomicLong();

    private record Key(long netns, boolean ipv6, String laddr, int lport, String raddr, int rport) {
        static Key of(SocketEntry e) {
            return new Key(e.netns(), e.ipv6(), e.laddr(), e.lport(), e.raddr(), e.rport());
        }
    }

    /** {@code snapshotter} should use {@link SocketSnapshotter.Method#PROC} (no BPF means no cookies anyway). */
    public ProcPoller(SocketSnapshotter snapshotter, SnapshotEvents events, Duration interval) {
        this.snapshotter = snapshotter;
        this.events = events;
        this.interval = interval;
    }

    /** The first snapshot: what exists now (publish it as SNAPSHOT records with source PROC_POLL). */
    public synchronized Snapshot baseline() {
        Snapshot s = timed();
        previous = index(s);
        return s;
    }

    /** One poll: the events since the previous poll (or baseline). */
    public synchronized List<TcpEvent> poll() {
        if (previous == null) {
            baseline();
            return List.of();
        }
        Snapshot s = timed();
        Map<Key, SocketEntry> now = index(s);
        List<TcpEvent> out = new ArrayList<>();
        long ts = s.takenAtMicros();
        for (Map.Entry<Key, SocketEntry> e : now.entrySet()) {
            if (!previous.containsKey(e.getKey())) {
                SocketEntry se = e.getValue();
                EventType type = se.direction() == Direction.INCOMING ? EventType.ACCEPT : EventType.CONNECT;
                out.add(events.event(se, type, ts, Source.PROC_POLL, null, false));
            }
        }
        for (Map.Entry<Key, SocketEntry> e : previous.entrySet()) {
            if (!now.containsKey(e.getKey())) {
                out.add(events.event(e.getValue(), EventType.CLOSE, ts, Source.PROC_POLL, null, false));
            }
        }
        previous = now;
        eventsMade.addAndGet(out.size());
        return out;
    }

    /** Polls every interval on a thread of its own and hands each non-empty batch to {@code sink}. */
    public void start(Consumer<List<TcpEvent>> sink) {
        LOG.warn("no BPF: polling /proc every {} ms (source PROC_POLL). Connections shorter than the interval are invisible.",
                interval.toMillis());
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "conntrail-proc-poll");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                List<TcpEvent> batch = poll();
                if (!batch.isEmpty()) {
                    sink.accept(batch);
                }
            } catch (RuntimeException e) {
                long n = failures.incrementAndGet();
                LOG.warn("proc poll failed ({} so far): {}", n, e.toString());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private Snapshot timed() {
        long c0 = cpu.getCurrentThreadCpuTime();
        long w0 = System.nanoTime();
        Snapshot s = snapshotter.take();
        lastPollWallNanos.set(System.nanoTime() - w0);
        lastPollCpuNanos.set(cpu.getCurrentThreadCpuTime() - c0);
        polls.incrementAndGet();
        return s;
    }

    private static Map<Key, SocketEntry> index(Snapshot s) {
        Map<Key, SocketEntry> m = new HashMap<>(s.sockets().size() * 2);
        for (SocketEntry e : s.sockets()) {
            m.put(Key.of(e), e);
        }
        return m;
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
