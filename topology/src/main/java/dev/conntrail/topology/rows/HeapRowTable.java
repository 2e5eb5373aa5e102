package dev.conntrail.topology.rows;

import dev.conntrail.avro.Connection;
import dev.conntrail.topology.ConnectionTopology;
import dev.conntrail.topology.TopologySettings;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.restore.RowsRestorer;
import dev.conntrail.topology.state.RowState;
import dev.conntrail.topology.state.RowStateHeader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rows of one task on the heap, with {@code connections} as their changelog: every row change
 * the topology publishes is the row's full state, and a header ({@link RowStateHeader}) carries
 * the bookkeeping readers do not see. So no second record per change (the rows store's changelog
 * was half of all records written, BENCHMARKS.md) and no store encoding. {@link #restore} rebuilds
 * the rows at every task (re)initialisation from the task's own partition of the topic.
 *
 * <p>A duplicate changes only bookkeeping and publishes nothing; that bookkeeping goes to the small
 * logged {@code row-marks} store (key: connection id) until the row's next published change or its
 * tombstone deletes it, and is laid over the restored row.
 *
 * <p>Rows are kept as {@link CompactRow}s (one small object per row: the garbage collector copies
 * every row at least once) and expanded to a fresh {@link RowState} for each record that touches
 * one. Indexes stand in for the store's prefix scans: rows by host (design rule 5) as a list linked
 * through the rows, by tuple (design rule 7) in a {@link GroupIndex}; both change only when a row is
 * created or deleted. The tuple index is built on the first NAT entry a task sees (most tasks of a
 * fleet without NAT never need it; profiled at ~3 % of the stream thread).
 */
public final class HeapRowTable implements RowTable {
    /** Records of {@code connections} a restore could not use: how many, and the first. */
    private static final class Skipped {
        long count;
        long firstOffset = -1;
        String firstReason;
    }

    /**
     * The row a record of {@code connections} holds, or null when it holds none the table can use:
     * bytes that do not decode, another record type, a row beyond the bounds (docs/design.md,
     * "Records"). Such a record is skipped (counted, and the first one logged with its offset): the
     * topic is the rows' changelog, but anyone with write access can put anything on it, and one
     * such record must not stop every restore of the partition. A registry failure is not the
     * record's: it is thrown (the stream thread waited for the registry already).
     */
    private static Connection usable(Deserializer<Connection> values, String topic, int partition, long offset, String id, byte[] value,
            org.apache.kafka.common.header.Headers headers, Skipped skipped, ProcessorContext<?, ?> context, TopologyMetrics metrics) {
        String reason;
        String why;
        try {
            Object decoded = values.deserialize(topic, headers, value);
            if (decoded instanceof Connection c) {
                dev.conntrail.schemas.RecordBounds.Violation out = dev.conntrail.schemas.RecordBounds.violation(c);
                if (out == null) out = dev.conntrail.schemas.RecordBounds.keyViolation(id);
                if (out == null) return c;
                reason = out.tooLong() ? "field-too-long" : "not-an-address";
                why = out.message();
            } else {
                reason = "wrong-type";
                why = "a " + (decoded == null ? "null" : decoded.getClass().getSimpleName()) + ", not a Connection";
            }
        } catch (RuntimeException e) {
            if (dev.conntrail.topology.errors.RegistryFailures.isRegistryFailure(e)) throw e;
            reason = "undecodable";
            why = e.getMessage();
        }
        metrics.restoreSkipped(reason);
        if (skipped.count++ == 0) {
            skipped.firstOffset = offset;
            skipped.firstReason = reason + ": " + why;
            log.warn("task {}: skipping {}-{}@{} while restoring rows ({}: {})", context.taskId(), topic, partition, offset, reason, why);
        }
        return null;
    }

    private static final Logger log = LoggerFactory.getLogger(HeapRowTable.class);
    /** Distinct strings shared between rows before {@link SharedStrings} starts over. */
    private static final int SHARED_STRINGS = 1 << 16;

    private final Map<String, CompactRow> rows = new HashMap<>();
    /** The first row of each host; the rest follow {@link CompactRow#nextOfHost}. */
    private final Map<String, CompactRow> firstOfHost = new HashMap<>();
    private final GroupIndex byTuple = new GroupIndex();
    private boolean tupleIndexBuilt;
    private final SharedStrings shared = new SharedStrings(SHARED_STRINGS);
    private KeyValueStore<String, byte[]> marks;
    /** Where the last replay of {@code connections} ended: a continued restore reads from here. */
    private long replayedUpTo;
    /** Where this table is kept until its first change (null once changed, or never kept). */
    private KeptTables keptIn;
    private String keptAs;
    /** The last row {@link #get} looked up: its {@link #put} right after (the common case) needs no second lookup. */
    private String lastKey;
    private CompactRow lastRow;

    private HeapRowTable(KeyValueStore<String, byte[]> marks) {
        this.marks = marks;
    }

    /**
     * Reads the task's partition of {@code connections} (same partition number as the task: see
     * {@link ConnectionTopology}), then lays the {@code row-marks} store over it. When {@code kept}
     * holds this partition's table from an earlier restore on this instance that no record changed
     * since, that table goes on from where its restore ended ({@link KeptTables}).
     */
    public static HeapRowTable restore(ProcessorContext<?, ?> context, RowsRestorer restorer, String topic, Deserializer<Connection> values,
            KeyValueStore<String, byte[]> marks, TopologySettings settings, TopologyMetrics metrics, KeptTables kept) {
        long start = System.nanoTime();
        int partition = context.taskId().partition();
        String name = topic + "-" + partition;
        HeapRowTable table = kept == null ? null : kept.take(name);
        Restore restore;
        if (table != null) {
            table.marks = marks;
            try {
                restore = table.replay(context, restorer, topic, partition, values, settings, metrics);
                metrics.restoreContinued();
            } catch (RowsRestorer.OffsetGoneException e) {
                log.info("task {}: cannot continue the rows restored earlier ({}): reading {} whole", context.taskId(), e.getMessage(), name);
                table = null;
                restore = null;
            }
        } else {
            restore = null;
        }
        if (table == null) {
            table = new HeapRowTable(marks);
            restore = table.replay(context, restorer, topic, partition, values, settings, metrics);
        }
        long from = restore.from;
        table.layMarks();
        if (from == 0 || restore.records > 0) table.reindex(); // a continued table that read nothing new has its indexes
        double seconds = (System.nanoTime() - start) / 1e9;
        metrics.restored(restore.records, table.rows.size(), seconds);
        if (restore.skipped.count > 0) {
            log.warn("task {}: skipped {} records of {} that are not rows (first at offset {}: {})", context.taskId(), restore.skipped.count,
                    name, restore.skipped.firstOffset, restore.skipped.firstReason);
        }
        if (restore.withoutHeader > 0) metrics.restoredWithoutHeader(restore.withoutHeader);
        log.info("task {}: restored {} rows from {} records of {}{} in {} ms ({} records/s)", context.taskId(), table.rows.size(),
                restore.records, name, from > 0 ? " continuing at offset " + from : "", Math.round(seconds * 1000),
                seconds > 0 ? Math.round(restore.records / seconds) : restore.records);
        if (kept != null) {
            table.keptIn = kept;
            table.keptAs = name;
            kept.keep(name, table);
        }
        return table;
    }

    /** What one replay read. */
    private static final class Restore {
        long from;
        long records;
        long withoutHeader;
        final Skipped skipped = new Skipped();
    }

    /** Folds the partition's records from where this table's last replay ended into its rows (unindexed). */
    private Restore replay(ProcessorContext<?, ?> context, RowsRestorer restorer, String topic, int partition, Deserializer<Connection> values,
            TopologySettings settings, TopologyMetrics metrics) {
        Restore r = new Restore();
        r.from = replayedUpTo;
        lastKey = null; // its row may be replaced below
        lastRow = null;
        try {
            r.records = restorer.replay(context, topic, partition, replayedUpTo, (offset, id, value, headers) -> {
                replayedUpTo = Math.max(replayedUpTo, offset + 1);
                if (id == null) return; // never written by the topology
                if (value == null) {
                    rows.remove(id);
                    return;
                }
                Connection c = usable(values, topic, partition, offset, id, value, headers, r.skipped, context, metrics);
                if (c == null) return;
                RowState s = new RowState(c);
                Header h = headers.lastHeader(RowStateHeader.NAME);
                if (h != null) {
                    RowStateHeader.decodeInto(h.value(), s);
                } else if (!s.isOpen()) {
                    // written without the header (RocksDB mode or an older conntrail): updatedAt is when the close was applied
                    r.withoutHeader++;
                    s.closeAppliedAt = c.getUpdatedAt().toEpochMilli();
                    s.tombstoneAt = settings.tombstoneAt(c.getClosedAt().toEpochMilli(), s.closeAppliedAt);
                } else {
                    r.withoutHeader++;
                }
                CompactRow row = new CompactRow(id);
                row.set(s, shared);
                rows.put(id, row);
            });
        } catch (RowsRestorer.OffsetGoneException e) {
            throw e;
        } catch (RuntimeException e) {
            metrics.restoreFailed();
            log.error("task {}: restoring rows from {}-{} failed: {}", context.taskId(), topic, partition, e.toString());
            throw e instanceof StreamsException ? e : new StreamsException("restoring rows from " + topic + "-" + partition + " failed", e);
        }
        return r;
    }

    /** The bookkeeping of duplicates ({@code row-marks}) over the rows. */
    private void layMarks() {
        try (KeyValueIterator<String, byte[]> all = marks.all()) {
            while (all.hasNext()) {
                KeyValue<String, byte[]> mark = all.next();
                CompactRow row = rows.get(mark.key);
                if (row != null) {
                    RowState s = row.expand();
                    RowStateHeader.decodeInto(mark.value, s);
                    s.marked = true;
                    row.setBookkeeping(s, shared);
                }
            }
        }
    }

    /** Rows by host, from scratch (a continued table's indexes predate the records it read since). */
    private void reindex() {
        firstOfHost.clear();
        byTuple.clear();
        tupleIndexBuilt = false;
        for (CompactRow row : rows.values()) index(row);
    }

    /** A table with no rows and no marks store, for measuring (the benchmark's heap per row): nothing may be remembered in it. */
    static HeapRowTable empty() {
        return new HeapRowTable(null);
    }

    int size() {
        return rows.size();
    }

    /** Rows here are keyed by the connection id itself: no key to build per record, and half the key's bytes per row. */
    @Override
    public String keyOf(String connectionId, String host, String laddr, Integer lport, String raddr, Integer rport) {
        return connectionId;
    }

    @Override
    public String idOf(String rowKey) {
        return rowKey;
    }

    @Override
    public String tupleOf(String rowKey, Connection row) {
        return RowKeys.tuple(row.getHost(), row.getLaddr(), row.getLport(), row.getRaddr(), row.getRport());
    }

    @Override
    public RowState get(String rowKey) {
        CompactRow row = rows.get(rowKey);
        lastKey = rowKey;
        lastRow = row;
        return row == null ? null : row.expand();
    }

    @Override
    public void put(String rowKey, RowState row) {
        changing();
        if (row.marked) {
            // the published change carries the bookkeeping now
            marks.delete(rowKey);
            row.marked = false;
        }
        write(rowKey, row);
    }

    @Override
    public void remember(String rowKey, RowState row) {
        changing();
        marks.put(rowKey, RowStateHeader.encode(row));
        row.marked = true;
        write(rowKey, row);
    }

    /** Into the key's compact row, made (and indexed) if it has none yet. */
    private void write(String rowKey, RowState row) {
        CompactRow compact = rowKey == lastKey && lastRow != null ? lastRow : rows.get(rowKey);
        boolean fresh = compact == null;
        if (fresh) {
            compact = new CompactRow(rowKey);
            rows.put(rowKey, compact);
        }
        compact.set(row, shared);
        if (fresh) index(compact); // by its host and tuple, so after set
        lastKey = rowKey;
        lastRow = compact;
    }

    @Override
    public void delete(String rowKey) {
        changing();
        CompactRow row = rows.remove(rowKey);
        lastKey = null;
        lastRow = null;
        if (row == null) return;
        unlinkFromHost(row);
        if (tupleIndexBuilt) byTuple.remove(row.tuple(), rowKey);
        if (row.marked()) marks.delete(rowKey);
    }

    /** Without expanding the row: a window's closes fall due together, tens of thousands at a time. */
    @Override
    public long deleteIfDue(String rowKey, long now) {
        CompactRow row = rows.get(rowKey);
        if (row == null || row.isOpen() || row.tombstoneAt() > now) return RowState.NONE;
        delete(rowKey);
        return row.tombstoneAt();
    }

    @Override
    public List<KeyValue<String, RowState>> ofHost(String host) {
        List<KeyValue<String, RowState>> out = new ArrayList<>();
        for (CompactRow row = firstOfHost.get(host); row != null; row = row.nextOfHost) {
            out.add(KeyValue.pair(row.key, row.expand()));
        }
        return out;
    }

    @Override
    public List<String> keysOfTuple(String tuplePrefix) {
        if (!tupleIndexBuilt) {
            tupleIndexBuilt = true;
            for (CompactRow row : rows.values()) byTuple.add(row.tuple(), row.key);
        }
        return byTuple.members(tuplePrefix);
    }

    @Override
    public void forEach(BiConsumer<String, RowState> each) {
        rows.forEach((key, row) -> each.accept(key, row.expand()));
    }

    /** The rows differ from what the restore read from here on: no longer kept. */
    private void changing() {
        if (keptIn != null) {
            keptIn.changed(keptAs, this);
            keptIn = null;
        }
    }

    private void index(CompactRow row) {
        row.prevOfHost = null;
        CompactRow first = firstOfHost.put(row.host(), row);
        row.nextOfHost = first;
        if (first != null) first.prevOfHost = row;
        if (tupleIndexBuilt) byTuple.add(row.tuple(), row.key);
    }

    private void unlinkFromHost(CompactRow row) {
        CompactRow prev = row.prevOfHost;
        CompactRow next = row.nextOfHost;
        if (next != null) next.prevOfHost = prev;
        if (prev != null) {
            prev.nextOfHost = next;
        } else {
            if (next != null) firstOfHost.put(row.host(), next);
            else firstOfHost.remove(row.host());
        }
        row.prevOfHost = null;
        row.nextOfHost = null;
    }
}
