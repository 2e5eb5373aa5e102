package dev.conntrail.producer.agent;

import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.snapshot.ProcPoller;
import dev.conntrail.producer.snapshot.Snapshot;
import dev.conntrail.producer.snapshot.SnapshotEvents;
import dev.conntrail.producer.snapshot.SocketSnapshotter;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The fallback without BPF: /proc polled every interval, diffed into CONNECT/ACCEPT/CLOSE (source
 * PROC_POLL, no cookies, connections shorter than the interval invisible). A snapshot is the poller's
 * new baseline, so diffs continue from it.
 */
final class PollEventSource implements EventSource {
    private final SocketSnapshotter snapshotter = new SocketSnapshotter(SocketSnapshotter.Method.PROC);
    private final SnapshotEvents snapshotEvents;
    private final ProcPoller poller;
    private final Duration interval;
    private boolean started;
    private final Consumer<TcpEvent> sink;

    PollEventSource(AgentOptions options, long agentEpoch, Consumer<TcpEvent> sink) {
        this.snapshotEvents = new SnapshotEvents(options.host(), agentEpoch);
        this.interval = options.pollInterval();
        this.poller = new ProcPoller(snapshotter, snapshotEvents, interval);
        this.sink = sink;
    }

    @Override
    public String describe() {
        return "/proc polling every " + interval.toMillis() + " ms (source PROC_POLL, no cookies)";
    }

    @Override
    public Source snapshotSource() {
        return Source.PROC_POLL;
    }

    @Override
    public Source heartbeatSource() {
        return Source.PROC_POLL;
    }

    @Override
    public Taken snapshot(String snapshotId, Consumer<TcpEvent> each) {
        long t0 = System.nanoTime();
        Snapshot s = poller.baseline(); // the poller keeps it as the base of its next diff anyway
        long millis = (System.nanoTime() - t0) / 1_000_000; // the snapshot's own time, without publishing
        snapshotEvents.snapshotRecords(s, snapshotId, Source.PROC_POLL).forEach(each);
        Taken taken = new Taken(s.sockets().size(),
                s.listeners().size(), 0, millis,
                s.stats() == null ? 0 : s.stats().namespacesIncomplete());
        synchronized (this) {
            if (!started) { // polls start after the first baseline, so their diffs follow the snapshot
                started = true;
                poller.start(batch -> batch.forEach(sink));
            }
        }
        return taken;
    }

    @Override
    public long lost() {
        return poller.failures.get();
    }

    @Override
    public LossCause lossCause() {
        return LossCause.POLL_FAILED;
    }

    @Override
    public void close() {
        poller.close();
        snapshotter.close();
    }
}
