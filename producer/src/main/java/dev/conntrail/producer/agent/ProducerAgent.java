package dev.conntrail.producer.agent;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.cli.Health;
import dev.conntrail.cli.MetricsServer;
import dev.conntrail.cli.Redaction;
import dev.conntrail.cli.UserFacingException;
import dev.conntrail.producer.bpf.libbpf.BpfUnavailableException;
import dev.conntrail.schemas.registry.RegistryAdmin;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-host agent (docs/design.md, rules 1 (snapshots hold events), 5 (convergence), 6 (loss)
 * and 7 (NAT)): start-up order, snapshots that hold events, heartbeats, resync after loss, NAT. One
 * thread ("conntrail-agent") publishes every tcp-events record, so seq order is publish order:
 * <ol>
 * <li>topics exist (never created here), registry subjects set to FULL_TRANSITIVE;</li>
 * <li>the event source starts (tracer attached; its events wait in the hand-off queue — held);</li>
 * <li>the snapshot: SNAPSHOT records, then SNAPSHOT_END (key host); the listener map is seeded;</li>
 * <li>NAT: conntrack subscribe, dump, publish;</li>
 * <li>the agent thread releases held events in order, then publishes as they come, a HEARTBEAT every
 * interval, and a resync (steps 3 and 4 again) after any loss or publish stall longer than a window
 * ({@link PublishStalls}), at most once per window; once a window, the counters of open sockets that changed
 * ({@link CountersRefresh}), when the source reads counters.</li>
 * </ol>
 */
public final class ProducerAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProducerAgent.class);
    private static final long LOSS_CHECK_NANOS = 500_000_000L;
    /** A counters refresh pass waits at least this many times its last pass's duration: at most 5 % of a core. */
    private static final long REFRESH_COST_RATIO = 20;

    private final AgentOptions options;
    private final long agentEpoch;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AgentMetrics metrics = new AgentMetrics(meters);
    private final LossTracker loss;
    private final HandOffQueue queue;
    private final EventPublisher publisher;
    private EventSource source;
    private NatSync nat;
    private NatKeysReader natKeys;
    private MetricsServer metricsServer;
    private Thread thread;
    private volatile boolean running = true;
    private volatile boolean snapshotting;
    private long snapshots;
    private long refreshes;
    private long lastPassMillis;
    private final CountersRefresh counters = new CountersRefresh();
    private long sourceLostSeen;

    private ProducerAgent(AgentOptions options, BooleanSupplier cancelled) {
        this.options = options;
        this.agentEpoch = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000 % 1000); // per start
        this.loss = new LossTracker(metrics, options.window());
        this.queue = new HandOffQueue(options.queueCapacity(), loss);
        TopicWaiter.awaitTopics(options.clientProperties(), List.of(options.eventsTopic(), options.natTopic()),
                options.topicWait(), cancelled);
        this.publisher = new EventPublisher(options, metrics, loss);
    }

    /** Starts the agent: returns once the start-up snapshot is published and events flow. */
    public static ProducerAgent start(AgentOptions options) {
        return start(options, () -> false);
    }

    /** As {@link #start(AgentOptions)}; {@code cancelled} ends a wait for missing topics (SIGTERM during start). */
    public static ProducerAgent start(AgentOptions options, BooleanSupplier cancelled) {
        ProducerAgent agent = new ProducerAgent(options, cancelled);
        try {
            agent.begin();
            return agent;
        } catch (RuntimeException e) {
            agent.close();
            throw e;
        }
    }

    private void begin() {
        new JvmMemoryMetrics().bindTo(meters);
        new JvmGcMetrics().bindTo(meters);
        metrics.gauge("conntrail_producer_held", "events held while a snapshot is taken", () -> snapshotting ? queue.size() : 0);
        metrics.gauge("conntrail_producer_queued", "events waiting in the hand-off queue", queue::size);
        metrics.gauge("conntrail_producer_nat_entries", "NAT entries currently published", () -> nat == null ? 0 : nat.entries());
        metrics.gauge("conntrail_producer_send_failing_seconds", "how long Kafka sends have been failing without one succeeding (0: they succeed)",
                () -> publisher.failingNanos(System.nanoTime()) / 1e9);
        metrics.gauge("conntrail_producer_container_misses", "tracer events whose cgroup id the container cache did not know (since start)",
                () -> source == null ? 0 : source.containerMisses());
        metrics.gauge("conntrail_producer_container_unresolved", "of those, the ones left without an answer (cgroup gone, or within a second of the last walk)",
                () -> source == null ? 0 : source.containerUnresolved());
        if (options.metricsPort() >= 0) {
            try {
                metricsServer = new MetricsServer(options.metricsAddress(), options.metricsPort(), meters, this::health);
            } catch (IOException e) {
                throw new UserFacingException("cannot serve metrics on " + options.metricsAddress() + ":" + options.metricsPort() + " ("
                        + e + "): choose another --metrics-address or --metrics-port, or --metrics-port -1 for none", e);
            }
        }
        boolean registryOk = RegistryAdmin.fromConfig(options.clientProperties())
                .requireFullTransitiveOnValues(List.of(options.eventsTopic(), options.natTopic()));
        source = openSource();
        EventSource.Taken first = snapshot(); // design rule 1: events are held in the queue meanwhile
        loss.startedAt(System.nanoTime());
        String natState = "off";
        if (options.conntrack() != null) {
            natKeys = new NatKeysReader(options.clientProperties(), options.natTopic(), options.host(), metrics,
                    NatKeysReader.Policy.defaults());
            Optional<Map<String, Long>> earlier = natKeys.tryOnce();
            nat = NatSync.start(options.conntrack(), publisher, loss, options.host(), earlier.orElse(Map.of()));
            if (earlier.isEmpty() && nat != null) {
                NatSync sync = nat;
                natKeys.retryInBackground(sync::adoptEarlierKeys); // design rule 7: stale keys still get their tombstones
            }
            natState = nat == null ? "unavailable" : options.conntrack().name().toLowerCase() + " namespace(s), " + nat.entries()
                    + " entries";
        }
        thread = new Thread(this::run, "conntrail-agent");
        thread.start();
        if (!options.clockOffset().isZero()) {
            LOG.warn("test option: every published time is shifted by {} (a host clock off by that much)", options.clockOffset());
        }
        LOG.info("conntrail producer {} (epoch {}): {}; snapshot {} sockets, {} listeners ({} seeded) in {} ms; topics {}, {} "
                        + "(NAT: {}); registry {}{}; heartbeat {} s, window {} s; metrics {}",
                options.host(), agentEpoch, source.describe(), first.sockets(), first.listeners(), first.seeded(), first.millis(),
                options.eventsTopic(), options.natTopic(), natState,
                Redaction.redact(String.valueOf(options.clientProperties().get("schema.registry.url"))),
                registryOk ? "" : " (compatibility not set)", options.heartbeatInterval().toSeconds(), options.window().toSeconds(),
                metricsServer == null ? "off" : metricsServer.endpoint() + "/metrics");
        if (!options.netns().watchesAll()) {
            LOG.info("watching network namespaces {} only: other namespaces' sockets and NAT entries are left out", options.netns());
        }
        LOG.debug("client properties {}", Redaction.redact(options.clientProperties()));
    }

    private EventSource openSource() {
        if (options.allowBpf()) {
            try {
                return BpfEventSource.start(options, agentEpoch, queue::offer);
            } catch (BpfUnavailableException e) {
                LOG.warn("eBPF unavailable ({}): falling back to /proc polling every {} ms (source PROC_POLL, no cookies; "
                        + "connections shorter than --poll-interval are missed)", e.getMessage(), options.pollInterval().toMillis());
            }
        } else {
            LOG.warn("eBPF disabled: /proc polling every {} ms (source PROC_POLL, no cookies; connections shorter than "
                    + "--poll-interval are missed)", options.pollInterval().toMillis());
        }
        return new PollEventSource(options, agentEpoch, queue::offer);
    }

    /**
     * Design rule 1 (snapshots hold events): SNAPSHOT records then SNAPSHOT_END; events arriving
     * meanwhile wait in the queue (held). Each SNAPSHOT record is published as the snapshot hands it on, so the
     * snapshot's records are never all held at once; the Kafka client's bounded buffer paces it.
     */
    private EventSource.Taken snapshot() {
        snapshotting = true;
        try {
            String id = agentEpoch + "-" + (++snapshots) + "-" + UUID.randomUUID().toString().substring(0, 8);
            counters.begin();
            EventSource.Taken taken = source.snapshot(id, r -> {
                counters.changed(r);
                publisher.publish(r);
            });
            metrics.snapshotSockets.set(taken.sockets());
            metrics.snapshotMillis.set(taken.millis());
            publisher.publish(marker(EventType.SNAPSHOT_END, source.snapshotSource(), id));
            counters.end();
            HeapGiveBack.afterPass(taken.sockets());
            lastPassMillis = taken.millis();
            loss.lost(LossCause.SNAPSHOT_INCOMPLETE, taken.namespacesIncomplete(),
                    "snapshot " + id + " could not read " + taken.namespacesIncomplete() + " network namespaces whole");
            return taken;
        } finally {
            snapshotting = false;
        }
    }

    private TcpEvent marker(EventType type, Source src, String snapshotId) {
        return TcpEvent.newBuilder().setHost(options.host()).setAgentEpoch(agentEpoch).setSeq(0).setType(type)
                .setTimestamp(nowMicros()).setSource(src).setSnapshotId(snapshotId).build();
    }

    private static Instant nowMicros() {
        Instant now = Instant.now();
        return now.minusNanos(now.getNano() % 1000);
    }

    /** The agent thread: release and publish events, heartbeats, loss checks, resyncs. */
    private void run() {
        long heartbeatNanos = options.heartbeatInterval().toNanos();
        long nextHeartbeat = System.nanoTime() + heartbeatNanos;
        long nextLossCheck = System.nanoTime();
        long windowNanos = options.window().toNanos();
        long nextRefresh = System.nanoTime() + refreshGap(windowNanos);
        try {
            while (running) {
                long now = System.nanoTime();
                TcpEvent e = queue.poll(Math.max(1, Math.min(200, (nextHeartbeat - now) / 1_000_000)));
                if (e != null) {
                    publishQueued(e);
                    for (int i = 0; i < 4096 && (e = queue.poll()) != null; i++) {
                        publishQueued(e);
                    }
                }
                now = System.nanoTime();
                if (now - nextHeartbeat >= 0) {
                    publisher.stalls().heartbeat(now - nextHeartbeat); // this thread held up for more than W: a stall
                    publisher.publish(marker(EventType.HEARTBEAT, source.heartbeatSource(), null));
                    nextHeartbeat = now + heartbeatNanos;
                }
                if (now - nextLossCheck >= 0) {
                    checkSourceLoss();
                    publisher.stalls().check(now);
                    loss.flushLog(now);
                    nextLossCheck = now + LOSS_CHECK_NANOS;
                }
                if (publisher.stalls().takeWanted()) {
                    loss.requestResync();
                }
                if (loss.takeResync(now)) {
                    resync();
                    nextHeartbeat = System.nanoTime(); // the time the resync took is not a stall: a heartbeat now
                    nextRefresh = nextHeartbeat + refreshGap(windowNanos); // the resync's snapshot refreshed every socket
                } else if (now - nextRefresh >= 0 && source.readsCounters()) {
                    refreshCounters();
                    nextRefresh = System.nanoTime() + refreshGap(windowNanos);
                }
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException ex) {
            LOG.error("agent thread stopped: {}", ex.toString(), ex);
            running = false;
        }
    }

    /** An event from the hand-off queue: its source completes it here, off the source's own thread, then it goes out. */
    private void publishQueued(TcpEvent e) {
        source.complete(e);
        publisher.publish(e);
    }

    /** Publishes the events queued now (not those arriving meanwhile): they were read before what follows. */
    private void publishQueuedNow() {
        TcpEvent older;
        for (int n = queue.size(); n > 0 && (older = queue.poll()) != null; n--) {
            publishQueued(older);
        }
    }

    private void checkSourceLoss() {
        long lost = source.lost();
        if (lost > sourceLostSeen) {
            loss.lost(source.lossCause(), lost - sourceLostSeen, source.lossCause().label + " counter now " + lost);
            sourceLostSeen = lost;
        }
    }

    private void resync() throws InterruptedException {
        metrics.resync();
        // design rule 1: the events read before the snapshot go out before it. A CONNECT still in a ring buffer whose
        // CLOSE the full buffer dropped would otherwise be released after SNAPSHOT_END and reopen the row for good.
        source.drain();
        publishQueuedNow();
        publisher.stalls().resyncStarting(System.nanoTime());
        try {
            EventSource.Taken t = snapshot();
            int natEntries = nat == null ? 0 : nat.dumpAndConverge();
            LOG.info("resync: snapshot {} sockets in {} ms{}", t.sockets(), t.millis(), nat == null ? "" : ", NAT " + natEntries + " entries");
        } catch (RuntimeException e) {
            LOG.warn("resync failed ({}); retrying after the window", e.toString());
            loss.requestResync();
        }
    }

    /**
     * Time to the next counters refresh: a window, or longer where a pass is slow (a pass walks every socket of the
     * host): at least REFRESH_COST_RATIO times the last pass's or snapshot's duration, so it costs at most 1/ratio of
     * the agent thread.
     */
    private long refreshGap(long windowNanos) {
        return Math.max(windowNanos, REFRESH_COST_RATIO * lastPassMillis * 1_000_000L);
    }

    /**
     * Counters of open sockets (docs/design.md, "Counters of open sockets"): a snapshot pass whose SNAPSHOT records
     * go out, without a SNAPSHOT_END, for the sockets whose counters changed. On this thread, like the snapshots, so
     * its records never fall between a snapshot's records and its end; events read before it go out first.
     */
    private void refreshCounters() {
        publishQueuedNow();
        try {
            counters.begin();
            int[] changed = {0};
            EventSource.Taken pass = source.snapshot(agentEpoch + "-counters-" + (++refreshes), r -> {
                if (counters.changed(r)) {
                    changed[0]++;
                    publisher.publish(r);
                }
            });
            counters.end();
            metrics.countersRefreshed(changed[0], pass.millis());
            HeapGiveBack.afterPass(pass.sockets());
            lastPassMillis = pass.millis();
        } catch (RuntimeException e) {
            LOG.warn("counters refresh failed ({}); next try after the window", e.toString());
        }
    }

    /** Where losses are reported (tests inject one to exercise the resync path). */
    LossTracker lossTracker() {
        return loss;
    }

    public long agentEpoch() {
        return agentEpoch;
    }

    public AgentMetrics metrics() {
        return metrics;
    }

    public PrometheusMeterRegistry meterRegistry() {
        return meters;
    }

    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.port();
    }

    /**
     * What {@code /healthz} says: unhealthy when the agent thread stopped, or when Kafka sends (to a broker, or
     * through the schema registry the serializer needs) have failed for {@code unhealthyAfter} with none
     * succeeding since; degraded while they have failed for less, and while the start-up snapshot is taken; ok
     * otherwise.
     */
    public Health health() {
        if (!isRunning()) {
            return thread == null && running ? Health.degraded("starting (snapshot)") : Health.unhealthy("the agent thread stopped");
        }
        long failing = publisher.failingNanos(System.nanoTime());
        if (failing == 0) {
            return Health.OK;
        }
        String why = "Kafka sends failing for " + TimeUnit.NANOSECONDS.toSeconds(failing) + " s (last: " + publisher.lastFailure() + ")";
        return failing >= options.unhealthyAfter().toNanos() ? Health.unhealthy(why) : Health.degraded(why);
    }

    /** True while the agent thread runs. */
    public boolean isRunning() {
        return running && thread != null && thread.isAlive();
    }

    /** Detach, publish what is still queued, flush, close. */
    @Override
    public void close() {
        running = false;
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (natKeys != null) {
            natKeys.close(); // before the publisher closes: a late read hands its tombstones to it
        }
        if (nat != null) {
            nat.close();
        }
        if (source != null) {
            source.close(); // the tracer hands what its ring buffer still holds to the queue
            for (TcpEvent e; (e = queue.poll()) != null; ) {
                publishQueued(e);
            }
        }
        publisher.flush();
        publisher.close();
        if (metricsServer != null) {
            metricsServer.close();
        }
        meters.close();
        LOG.info("conntrail producer {} stopped: last seq {}", options.host(), publisher.lastSeq());
    }
}
