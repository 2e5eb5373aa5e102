package dev.conntrail.producer.agent;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.bpf.libbpf.BpfUnavailableException;
import dev.conntrail.producer.bpf.tracer.Tracer;
import dev.conntrail.producer.bpf.tracer.TracerOptions;
import dev.conntrail.producer.container.ContainerResolver;
import dev.conntrail.producer.snapshot.Listener;
import dev.conntrail.producer.snapshot.SnapshotEvents;
import dev.conntrail.producer.snapshot.SocketSnapshotter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The eBPF path: the tracer attached first (its events flow to the sink from then on), snapshots from
 * the BPF socket iterator (sock_diag when the iterator cannot load), each snapshot seeding the
 * tracer's listener map with the listeners exactly one process holds (docs/design.md, rule 2 (snapshot content)).
 * Events get their container from their cgroup id ({@link ContainerResolver}, which each snapshot teaches) on the
 * agent's thread ({@link #complete}), not on the tracer's reader thread: a miss reads {@code /proc} or walks the cgroup
 * hierarchy, and the reader must keep draining the ring buffers meanwhile.
 */
final class BpfEventSource implements EventSource {
    private static final Logger LOG = LoggerFactory.getLogger(BpfEventSource.class);
    private final Tracer tracer;
    private final SocketSnapshotter snapshotter;
    private final SnapshotEvents snapshotEvents;
    private final ContainerResolver containers;

    private BpfEventSource(Tracer tracer, SocketSnapshotter snapshotter, SnapshotEvents snapshotEvents,
                           ContainerResolver containers) {
        this.tracer = tracer;
        this.snapshotter = snapshotter;
        this.snapshotEvents = snapshotEvents;
        this.containers = containers;
    }

    /** Attaches the tracer; throws {@link BpfUnavailableException} when BPF cannot be used (caller falls back). */
    static BpfEventSource start(AgentOptions options, long agentEpoch, Consumer<TcpEvent> sink) {
        TracerOptions tracing = TracerOptions.defaults(options.host(), agentEpoch).withAcceptPid(options.acceptPid());
        if (options.ringBufferBytes() != 0) tracing = tracing.withRingBuffer(options.ringBufferBytes(), tracing.wakeupBytes());
        ContainerResolver containers = new ContainerResolver();
        Tracer tracer = Tracer.start(tracing, sink);
        SocketSnapshotter snapshotter;
        try {
            snapshotter = new SocketSnapshotter(SocketSnapshotter.Method.BPF_ITER);
        } catch (BpfUnavailableException e) {
            LOG.info("BPF socket iterator unavailable ({}); snapshots use sock_diag", e.getMessage());
            snapshotter = new SocketSnapshotter(SocketSnapshotter.Method.SOCK_DIAG);
        } catch (RuntimeException e) {
            tracer.close();
            throw e;
        }
        return new BpfEventSource(tracer, snapshotter, new SnapshotEvents(options.host(), agentEpoch), containers);
    }

    @Override
    public void complete(TcpEvent event) {
        containers.tag(event);
    }

    @Override
    public String describe() {
        return "eBPF " + tracer.attachedPrograms() + " (cookies: " + (tracer.hasCookies() ? "yes" : "no") + ", accept pid: "
                + tracer.options().acceptPid().name().toLowerCase() + "), snapshots by " + snapshotter.method().name().toLowerCase();
    }

    @Override
    public Source snapshotSource() {
        return Source.SNAPSHOT;
    }

    @Override
    public Source heartbeatSource() {
        return Source.EBPF;
    }

    /** The socket iterator reads counters; sock_diag (its fallback, or the chosen method) does not. */
    @Override
    public boolean readsCounters() {
        return snapshotter.method() == SocketSnapshotter.Method.BPF_ITER;
    }

    @Override
    public Taken snapshot(String snapshotId, Consumer<TcpEvent> each) {
        long t0 = System.nanoTime();
        boolean withCookies = tracer.hasCookies();
        long[] handedOnNanos = {0}; // the caller's time (publishing): not the snapshot's own
        SocketSnapshotter.SocketSink toRecord = (entry, takenAtMicros) -> {
            if (entry.cgroupId() != null) {
                containers.learn(entry.cgroupId(), entry.container());
            }
            // docs/design.md, "Names", cookie: an agent without cookies sends none, so a socket's records share one id
            TcpEvent r = snapshotEvents.event(entry, EventType.SNAPSHOT, takenAtMicros, Source.SNAPSHOT, snapshotId, withCookies);
            long before = System.nanoTime();
            each.accept(r);
            handedOnNanos[0] += System.nanoTime() - before;
        };
        SocketSnapshotter.Streamed s;
        try {
            s = snapshotter.stream(toRecord);
        } catch (BpfUnavailableException e) {
            // e.g. the iterator program was refused after start (before any socket went out): sock_diag still gives cookies
            LOG.warn("snapshot by {} failed ({}); using sock_diag", snapshotter.method(), e.getMessage());
            try (SocketSnapshotter sockDiag = new SocketSnapshotter(SocketSnapshotter.Method.SOCK_DIAG)) {
                s = sockDiag.stream(toRecord);
            }
        }
        int seeded = seed(s.listeners());
        return new Taken(s.sockets(), s.listeners().size(), seeded, (System.nanoTime() - t0 - handedOnNanos[0]) / 1_000_000,
                s.stats().namespacesIncomplete());
    }

    /** Seeds the tracer with listeners held by exactly one process; returns how many. */
    private int seed(List<Listener> listeners) {
        int n = 0;
        for (Listener l : listeners) {
            if (l.shared() || l.pid() == null) {
                continue;
            }
            try {
                tracer.seedListener(l.netns(), addressBytes(l.laddr(), l.ipv6()), l.lport(), l.pid(), l.pid(),
                        l.comm() == null ? "" : l.comm(), l.cgroupId() == null ? 0L : l.cgroupId());
                n++;
            } catch (RuntimeException e) {
                LOG.debug("listener {}:{} not seeded: {}", l.laddr(), l.lport(), e.getMessage());
            }
        }
        return n;
    }

    /** 4 bytes for IPv4, 16 for IPv6 (v4-mapped text stays 16 bytes: Java would shorten it). */
    static byte[] addressBytes(String text, boolean ipv6) {
        byte[] raw;
        try {
            raw = InetAddress.getByName(text).getAddress(); // literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address: " + text, e);
        }
        if (ipv6 && raw.length == 4) {
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(raw, 0, mapped, 12, 4);
            return mapped;
        }
        return raw;
    }

    @Override
    public void drain() throws InterruptedException {
        if (!tracer.drainNow(java.time.Duration.ofSeconds(1))) {
            LOG.debug("the tracer's reader did not pass over the ring buffers within 1 s; the snapshot goes ahead");
        }
    }

    @Override
    public long lost() {
        return tracer.counters().lost();
    }

    @Override
    public long containerMisses() {
        return containers.misses();
    }

    @Override
    public long containerUnresolved() {
        return containers.unresolved();
    }

    @Override
    public LossCause lossCause() {
        return LossCause.TRACER;
    }

    /** Detaches; what the ring buffer still holds is delivered to the sink first. */
    @Override
    public void close() {
        try {
            tracer.close();
        } finally {
            snapshotter.close();
        }
    }
}
