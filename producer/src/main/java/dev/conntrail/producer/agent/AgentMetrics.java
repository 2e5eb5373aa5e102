package dev.conntrail.producer.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The agent's Prometheus meters: records published per topic, events held during a snapshot, loss per
 * cause, resyncs, NAT entries currently published, failed reads of the earlier NAT keys, and the last
 * snapshot's size.
 */
public final class AgentMetrics {
    private final MeterRegistry registry;
    private final Counter publishedEvents;
    private final Counter publishedNat;
    private final Counter tombstones;
    private final Counter notWatched;
    private final Counter resyncs;
    private final Counter natKeysReadFailures;
    private final Counter publishStalls;
    private final Counter countersRefreshed;
    final AtomicLong countersRefreshMillis = new AtomicLong();
    private final Map<LossCause, Counter> lost = new EnumMap<>(LossCause.class);
    final AtomicLong snapshotSockets = new AtomicLong();
    final AtomicLong snapshotMillis = new AtomicLong();

    public AgentMetrics(MeterRegistry registry) {
        this.registry = registry;
        publishedEvents = Counter.builder("conntrail_producer_published").tag("topic", "events")
                .description("records handed to Kafka and acknowledged").register(registry);
        publishedNat = Counter.builder("conntrail_producer_published").tag("topic", "nat")
                .description("records handed to Kafka and acknowledged").register(registry);
        notWatched = Counter.builder("conntrail_producer_not_watched")
                .description("records of network namespaces --netns does not name, left out").register(registry);
        tombstones = Counter.builder("conntrail_producer_nat_tombstones").description("NAT tombstones published").register(registry);
        resyncs = Counter.builder("conntrail_producer_resyncs").description("snapshots taken after a loss or a publish stall").register(registry);
        natKeysReadFailures = Counter.builder("conntrail_producer_nat_keys_read_failures")
                .description("failed reads of this host's NAT keys back from conntrack-nat at start (retried)").register(registry);
        publishStalls = Counter.builder("conntrail_producer_publish_stalls")
                .description("publish stalls longer than the window (a record acknowledged, or a heartbeat sent, more than W late), each answered by a resync").register(registry);
        countersRefreshed = Counter.builder("conntrail_producer_counters_refreshed")
                .description("SNAPSHOT records sent by the once-a-window refresh of open sockets' counters (changed ones only)")
                .register(registry);
        Gauge.builder("conntrail_producer_counters_refresh_seconds", countersRefreshMillis, m -> m.get() / 1000.0)
                .description("how long the last counters refresh pass took").register(registry);
        for (LossCause c : LossCause.values()) {
            lost.put(c, Counter.builder("conntrail_producer_lost").tag("cause", c.label)
                    .description("events or records that could not be delivered").register(registry));
        }
        Gauge.builder("conntrail_producer_snapshot_sockets", snapshotSockets, AtomicLong::get)
                .description("sockets in the last snapshot").register(registry);
        Gauge.builder("conntrail_producer_snapshot_seconds", snapshotMillis, m -> m.get() / 1000.0)
                .description("how long the last snapshot took").register(registry);
    }

    /** Registers gauges whose values live elsewhere (held events, NAT entries). */
    public void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    void published(boolean nat) {
        (nat ? publishedNat : publishedEvents).increment();
    }

    void notWatched() {
        notWatched.increment();
    }

    void tombstone() {
        tombstones.increment();
    }

    void resync() {
        resyncs.increment();
    }

    void countersRefreshed(int records, long millis) {
        countersRefreshed.increment(records);
        countersRefreshMillis.set(millis);
    }

    public double countersRefreshed() {
        return countersRefreshed.count();
    }

    void natKeysReadFailed() {
        natKeysReadFailures.increment();
    }

    public double natKeysReadFailures() {
        return natKeysReadFailures.count();
    }

    void publishStall() {
        publishStalls.increment();
    }

    public double publishStalls() {
        return publishStalls.count();
    }

    void lost(LossCause cause, long n) {
        lost.get(cause).increment(n);
    }

    public double lostTotal(LossCause cause) {
        return lost.get(cause).count();
    }

    public double resyncs() {
        return resyncs.count();
    }

    public double published(String topic) {
        return "nat".equals(topic) ? publishedNat.count() : publishedEvents.count();
    }
}
