package dev.conntrail.topology.metrics;

import dev.conntrail.avro.CloseReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import dev.conntrail.topology.errors.InputRejectedException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The topology's Prometheus metrics (names as Prometheus shows them, after Micrometer's renaming):
 * {@code conntrail_topology_rows{state=open|closed}}, {@code conntrail_topology_rows_opened_total},
 * {@code conntrail_topology_rows_closed_total{reason}}, {@code conntrail_topology_rows_expired_total},
 * {@code conntrail_topology_dead_lettered_total{stage,reason}}, {@code conntrail_topology_nat_matches_total},
 * {@code conntrail_topology_hosts{state=seen|lost}}, {@code conntrail_topology_hosts_lost_total},
 * {@code conntrail_topology_punctuation_lag_seconds}, {@code conntrail_topology_tombstone_lateness_seconds},
 * {@code conntrail_topology_registry_unreachable_total}, {@code conntrail_topology_input_ignored_total{why}},
 * {@code conntrail_topology_rows_restored_total}, {@code conntrail_topology_rows_restore_records_total},
 * {@code conntrail_topology_rows_restore_seconds}, {@code conntrail_topology_rows_restore_failures_total},
 * {@code conntrail_topology_rows_restored_without_header_total}, {@code conntrail_topology_rows_restore_skipped_total{reason}},
 * {@code conntrail_topology_rows_restore_overlong_total{limit}}, {@code conntrail_topology_rows_restore_continued_total},
 * {@code conntrail_topology_clock_ahead_total},
 * {@code conntrail_topology_liveness_proof_age_seconds}, {@code conntrail_topology_liveness_checks_failed_total}.
 * Row and host gauges are sums over this instance's tasks.
 */
public final class TopologyMetrics {
    private final MeterRegistry registry;
    public final AtomicLong openRows = new AtomicLong();
    public final AtomicLong closedRows = new AtomicLong();
    public final AtomicLong hostsSeen = new AtomicLong();
    public final AtomicLong hostsLostNow = new AtomicLong();
    /** Wall-clock ms by which the last punctuation ran late; the gauge reads it. */
    public final AtomicLong punctuationLagMs = new AtomicLong();
    /** Input records processed (tells the registry-outage handler whether records get through). */
    public final AtomicLong processed = new AtomicLong();
    private final Counter opened;
    private final Map<CloseReason, Counter> closed = new EnumMap<>(CloseReason.class);
    private final Counter expired;
    private final Counter natMatches;
    private final Counter hostsLost;
    private final Counter registryUnreachable;
    private final Timer tombstoneLateness;
    private final Counter rowsRestored;
    private final Counter restoreRecords;
    private final Timer restoreTime;
    private final Counter restoreFailures;
    private final Counter restoredWithoutHeader;
    private final Counter clockAhead;

    public TopologyMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("conntrail.topology.rows", openRows, AtomicLong::get).tag("state", "open")
                .description("OPEN rows in this instance's tasks").register(registry);
        Gauge.builder("conntrail.topology.rows", closedRows, AtomicLong::get).tag("state", "closed")
                .description("CLOSED rows waiting for their tombstone").register(registry);
        Gauge.builder("conntrail.topology.hosts", hostsSeen, AtomicLong::get).tag("state", "seen")
                .description("hosts this instance has seen").register(registry);
        Gauge.builder("conntrail.topology.hosts", hostsLostNow, AtomicLong::get).tag("state", "lost")
                .description("hosts currently silent for 3 windows").register(registry);
        Gauge.builder("conntrail.topology.punctuation.lag", punctuationLagMs, v -> v.get() / 1000.0).baseUnit("seconds")
                .description("how late the last wall-clock punctuation ran").register(registry);
        opened = Counter.builder("conntrail.topology.rows.opened").description("rows created or reopened").register(registry);
        for (CloseReason r : CloseReason.values()) {
            if (r != CloseReason.UNKNOWN) {
                closed.put(r, Counter.builder("conntrail.topology.rows.closed").tag("reason", r.name())
                        .description("rows closed, by reason").register(registry));
            }
        }
        expired = Counter.builder("conntrail.topology.rows.expired").description("CLOSED rows tombstoned at their window boundary").register(registry);
        // every reason at zero from the start, so a rate exists before the first dead letter
        for (String reason : List.of("bad-magic-byte", "malformed", "unknown-schema-id", "error")) deadLettered("deserialization", reason, 0);
        for (String reason : List.of(InputRejectedException.NO_KEY, InputRejectedException.NULL_VALUE, InputRejectedException.WRONG_TYPE,
                InputRejectedException.TOO_LONG, InputRejectedException.NOT_AN_ADDRESS, InputRejectedException.BAD_HOST, InputRejectedException.HOST_MISMATCH,
                InputRejectedException.BAD_KEY, InputRejectedException.MISSING_FIELD, InputRejectedException.WRONG_PARTITION,
                InputRejectedException.ROW_TOO_LARGE, "contract", "error")) {
            deadLettered("processing", reason, 0);
        }
        for (String reason : List.of(InputRejectedException.ROW_TOO_LARGE, "unserializable")) deadLettered("production", reason, 0);
        natMatches = Counter.builder("conntrail.topology.nat.matches").description("rows given (or changed to) a NAT entry").register(registry);
        hostsLost = Counter.builder("conntrail.topology.hosts.lost.events").description("hosts declared lost (HOST_LOST)").register(registry);
        registryUnreachable = Counter.builder("conntrail.topology.registry.unreachable")
                .description("schema registry calls that failed and were retried (unreachable, 5xx, 429, 401/403, an id not known yet)").register(registry);
        tombstoneLateness = Timer.builder("conntrail.topology.tombstone.lateness").description("tombstone time minus its window boundary")
                .publishPercentiles(0.5, 0.99).register(registry);
        rowsRestored = Counter.builder("conntrail.topology.rows.restored").description("rows rebuilt from connections at task initialisation")
                .register(registry);
        restoreRecords = Counter.builder("conntrail.topology.rows.restore.records").description("connections records read to rebuild rows")
                .register(registry);
        restoreTime = Timer.builder("conntrail.topology.rows.restore").description("time to rebuild a task's rows from connections")
                .register(registry);
        restoreFailures = Counter.builder("conntrail.topology.rows.restore.failures")
                .description("task initialisations whose rows could not be rebuilt from connections").register(registry);
        restoredWithoutHeader = Counter.builder("conntrail.topology.rows.restored.without.header")
                .description("rows rebuilt from a record without the conntrail-row-state header (bookkeeping guessed)").register(registry);
        clockAhead = Counter.builder("conntrail.topology.clock.ahead")
                .description("closes whose time was further ahead of the topology's clock than tolerated (a host clock ahead): their window counts from the topology's clock")
                .register(registry);
    }

    /**
     * Design rule 5 (convergence): how old the newest proof that the inputs were read through is, for the partition
     * where it is oldest (hosts are judged on it), and the offset checks that failed.
     */
    public void watchLiveness(java.util.function.LongSupplier oldestProofMs, java.util.function.LongSupplier failedChecks) {
        Gauge.builder("conntrail.topology.liveness.proof.age", oldestProofMs, s -> {
            long at = s.getAsLong();
            return at == Long.MIN_VALUE ? Double.NaN : (System.currentTimeMillis() - at) / 1000.0;
        }).baseUnit("seconds").description("age of the proof that every input partition was read through (NaN: none yet)").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("conntrail.topology.liveness.checks.failed", failedChecks, s -> s.getAsLong())
                .description("reads of the input and committed offsets that failed (no host is judged lost on them)").register(registry);
    }

    public void clockAhead() {
        clockAhead.increment();
    }

    public void restored(long records, long rows, double seconds) {
        restoreRecords.increment(records);
        rowsRestored.increment(rows);
        restoreTime.record(Duration.ofNanos((long) (seconds * 1e9)));
    }

    /** A restore outlasted a limit of the stream thread it ran on ({@code transaction-timeout}, {@code max-poll-interval}). */
    public void restoreOverlong(String limit) {
        Counter.builder("conntrail.topology.rows.restore.overlong").tag("limit", limit)
                .description("restores of rows that outlasted the stream thread's transaction timeout or max.poll.interval.ms")
                .register(registry).increment();
    }

    /** A task re-initialised on this instance continued the restore of its unchanged rows instead of reading its partition again. */
    public void restoreContinued() {
        Counter.builder("conntrail.topology.rows.restore.continued")
                .description("restores that continued an earlier restore of the same partition whose rows no record had changed")
                .register(registry).increment();
    }

    public void restoreFailed() {
        restoreFailures.increment();
    }

    public void restoredWithoutHeader(long rows) {
        restoredWithoutHeader.increment(rows);
    }

    /** Seconds spent rebuilding rows from connections so far (all tasks). */
    public double restoreSeconds() {
        return restoreTime.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS) / 1e9;
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void opened() {
        opened.increment();
    }

    public void closed(CloseReason reason) {
        closed.get(reason).increment();
    }

    public void expired(long lateMs) {
        expired.increment();
        tombstoneLateness.record(Duration.ofMillis(Math.max(0, lateMs)));
    }

    /**
     * An input record sent to the dead-letter topic (or, at {@code stage="production"}, a row change
     * the broker refused): {@code stage} deserialization, processing or production; {@code reason} a
     * short code (docs/design.md rule 8).
     */
    public void deadLettered(String stage, String reason) {
        deadLettered(stage, reason, 1);
    }

    private void deadLettered(String stage, String reason, int n) {
        Counter.builder("conntrail.topology.dead.lettered").tag("stage", stage).tag("reason", reason)
                .description("input records sent to the dead-letter topic, by stage and reason").register(registry).increment(n);
    }

    /** A record of connections the restore could not use (undecodable, another type, beyond the bounds): skipped. */
    public void restoreSkipped(String reason) {
        Counter.builder("conntrail.topology.rows.restore.skipped").tag("reason", reason)
                .description("connections records skipped while rebuilding rows (undecodable, another type, beyond the bounds)")
                .register(registry).increment();
    }

    public void natMatched() {
        natMatches.increment();
    }

    public void hostLost() {
        hostsLost.increment();
    }

    public void registryUnreachable() {
        registryUnreachable.increment();
    }

    public void ignored(String why) {
        Counter.builder("conntrail.topology.input.ignored").tag("why", why).description("input records ignored (counted, not lost silently)")
                .register(registry).increment();
    }

    /** The sum of the counters of that name with those tags (whatever their other tags). */
    public double count(String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
    }
}
