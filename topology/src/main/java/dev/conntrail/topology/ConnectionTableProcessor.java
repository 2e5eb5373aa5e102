package dev.conntrail.topology;

import dev.conntrail.avro.Connection;
import dev.conntrail.topology.errors.SinkLimit;
import dev.conntrail.topology.liveness.InputProgress;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.restore.RowsRestorer;
import dev.conntrail.topology.rows.HeapRowTable;
import dev.conntrail.topology.rows.KeptTables;
import dev.conntrail.topology.rows.RowTable;
import dev.conntrail.topology.rows.StoreRowTable;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection table of one task (one partition of {@code tcp-events} and the same partition of
 * {@code conntrack-nat}: the same hosts; docs/design.md, "Topics", partitioning). It builds the
 * task's parts at init and hands each record and punctuation to the part whose job it is:
 * <ul>
 * <li>{@link EventRules}: {@code tcp-events} records (design rule 5, convergence);</li>
 * <li>{@link NatJoin}: {@code conntrack-nat} records, and the NAT entry of a new row (design rule 7);</li>
 * <li>{@link Expiry}: tombstones of closed rows when due (design rule 4, windows);</li>
 * <li>{@link HostLiveness}: hosts seen, and lost after 3 W of proven silence (design rule 5).</li>
 * </ul>
 * All row changes go through {@link RowChanges} to the {@link RowTable} (on the heap with
 * {@code connections} as their changelog by default) and to {@code connections}. The choices the
 * contract leaves open are in docs/topology.md.
 */
final class ConnectionTableProcessor implements Processor<String, Object, String, Connection> {
    private static final Logger log = LoggerFactory.getLogger(ConnectionTableProcessor.class);

    private final TopologySettings settings;
    private final TopologyMetrics metrics;
    private final RowsRestorer restorer;
    private final Deserializer<Connection> connections;
    private final Serializer<Connection> connectionWriter;
    private final SinkLimit sinkLimit;
    private final InputProgress progress;
    private final KeptTables kept;

    private ProcessorContext<String, Connection> context;
    private RowCounts counts;
    private RowChanges changes;
    private Expiry expiry;
    private HostLiveness hosts;
    private NatJoin nat;
    private EventRules events;
    private long lastPunctuation;

    ConnectionTableProcessor(TopologySettings settings, TopologyMetrics metrics, RowsRestorer restorer, Deserializer<Connection> connections,
            InputProgress progress) {
        this(settings, metrics, restorer, connections, progress, null, SinkLimit.unlimited(), new KeptTables());
    }

    /**
     * @param progress         how far the task is proven to have read its input (design rule 5)
     * @param connectionWriter the sink's value serializer, to measure a row change when the sink's
     *                         record limit is below what a row may take ({@link SinkLimit#mustMeasure})
     * @param kept             restored tables of this instance not changed since (shared by its tasks)
     */
    ConnectionTableProcessor(TopologySettings settings, TopologyMetrics metrics, RowsRestorer restorer, Deserializer<Connection> connections,
            InputProgress progress, Serializer<Connection> connectionWriter, SinkLimit sinkLimit, KeptTables kept) {
        this.settings = settings;
        this.metrics = metrics;
        this.restorer = restorer;
        this.connections = connections;
        this.connectionWriter = connectionWriter;
        this.sinkLimit = sinkLimit;
        this.progress = progress;
        this.kept = kept;
    }

    @Override
    public void init(ProcessorContext<String, Connection> context) {
        this.context = context;
        forget();
        counts = new RowCounts(metrics);
        // rows first: a test's stand-in restorer refills the other stores, as Streams does from their changelogs
        RowTable rows = settings.persistentStores() ? new StoreRowTable(context.getStateStore(ConnectionTopology.ROWS_STORE))
                : HeapRowTable.restore(context, restorer, settings.topics().connections(), connections,
                        context.getStateStore(ConnectionTopology.ROW_MARKS_STORE), settings, metrics, kept);
        expiry = new Expiry(context, rows, counts, metrics, settings.punctuateEvery().toMillis());
        changes = new RowChanges(context, rows, counts, expiry, settings, metrics, connectionWriter, sinkLimit);
        hosts = new HostLiveness(context, context.getStateStore(ConnectionTopology.HOSTS_STORE), rows, changes, progress, settings, metrics);
        nat = new NatJoin(context.getStateStore(ConnectionTopology.NAT_STORE), rows, changes, hosts, settings, metrics);
        events = new EventRules(rows, changes, counts, hosts, nat, metrics);
        // the tombstone schedule and the row counts live only in memory: rebuilt from the rows
        nat.restore();
        rows.forEach((key, row) -> {
            counts.restored(row.isOpen());
            if (!row.isOpen()) expiry.scheduleRestored(key, row);
        });
        hosts.restore();
        lastPunctuation = context.currentSystemTimeMs();
        context.schedule(settings.punctuateEvery(), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
        log.debug("task {}: {} open rows, {} closed rows, {} hosts restored", context.taskId(), counts.openRows(), counts.closedRows(), hosts.size());
    }

    @Override
    public void process(Record<String, Object> record) {
        long now = context.currentSystemTimeMs();
        metrics.processed.incrementAndGet();
        String topic = context.recordMetadata().map(RecordMetadata::topic).orElse(settings.topics().events());
        // docs/design.md rule 8: keyed, of the topic's type, within the bounds, of the key's host; else dead-lettered with the reason
        if (topic.equals(settings.topics().nat())) {
            nat.onEntry(record.key(), InputDoor.nat(topic, record.key(), record.value()), record.timestamp(), now);
        } else {
            events.onEvent(record.key(), InputDoor.event(topic, record.key(), record.value()), record.timestamp(), now);
        }
    }

    /** Tombstones (design rule 4, windows), then lost hosts (design rule 5, convergence). */
    private void punctuate(long now) {
        metrics.punctuationLagMs.set(Math.max(0, now - lastPunctuation - settings.punctuateEvery().toMillis()));
        lastPunctuation = now;
        changes.inPunctuation(true);
        try {
            expiry.expireDue(now);
            hosts.judge(now);
        } finally {
            changes.inPunctuation(false);
        }
    }

    /** Takes this task's rows and hosts out of the instance-wide gauges. */
    private void forget() {
        if (counts != null) counts.forget();
        if (hosts != null) hosts.forget();
    }

    @Override
    public void close() {
        forget();
    }
}
