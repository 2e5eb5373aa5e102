package dev.conntrail.topology;

import dev.conntrail.avro.Connection;
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
 * <p>Indexes stand in for the store's prefix scans: rows by host (rule 5) and by tuple (rule 7);
 * both change only when a row is created or deleted. The tuple index is built on the first NAT
 * entry a task sees (most tasks of a fleet without NAT never need it; profiled at ~3 % of the
 * stream thread).
 */
final class HeapRowTable implements RowTable {
    private static final Logger log = LoggerFactory.getLogger(HeapRowTable.class);

    private final Map<String, RowState> rows = new HashMap<>();
    private final GroupIndex byHost = new GroupIndex();
    private final GroupIndex byTuple = new GroupIndex();
    private boolean tupleIndexBuilt;
    private final KeyValueStore<String, byte[]> marks;
    /** The last row {@link #get} found: its {@link #put} right after (the common case) needs no map update. */
    private String lastKey;
    private RowState lastRow;

    private HeapRowTable(KeyValueStore<String, byte[]> marks) {
        this.marks = marks;
    }

    /**
     * Reads the task's partition of {@code connections} (same partition number as the task: see
     * {@link ConnectionTopology}), then lays the {@code row-marks} store over it.
     */
    static HeapRowTable restore(ProcessorContext<?, ?> context, RowsRestorer restorer, String topic, Deserializer<Connection> values,
            KeyValueStore<String, byte[]> marks, TopologySettings settings, TopologyMetrics metrics) {
        long start = System.nanoTime();
        int partition = context.taskId().partition();
        Map<String, RowState> byId = new HashMap<>();
        long[] withoutHeader = new long[1];
        long records;
        try {
            records = restorer.replay(context, topic, partition, (id, value, headers) -> {
                if (id == null) return; // never written by the topology
                if (value == null) {
                    byId.remove(id);
                    return;
                }
                RowState s = new RowState(values.deserialize(topic, headers, value));
                Header h = headers.lastHeader(RowStateHeader.NAME);
                if (h != null) {
                    RowStateHeader.decodeInto(h.value(), s);
                } else if (!s.isOpen()) {
                    // written without the header (RocksDB mode or an older conntrail): updatedAt is when the close was applied
                    withoutHeader[0]++;
                    s.closeAppliedAt = s.row.getUpdatedAt().toEpochMilli();
                    s.tombstoneAt = settings.tombstoneAt(s.row.getClosedAt().toEpochMilli(), s.closeAppliedAt);
                } else {
                    withoutHeader[0]++;
                }
                byId.put(id, s);
            });
        } catch (RuntimeException e) {
            metrics.restoreFailed();
            log.error("task {}: restoring rows from {}-{} failed: {}", context.taskId(), topic, partition, e.toString());
            throw e instanceof StreamsException ? e : new StreamsException("restoring rows from " + topic + "-" + partition + " failed", e);
        }
        HeapRowTable table = new HeapRowTable(marks);
        try (KeyValueIterator<String, byte[]> all = marks.all()) {
            while (all.hasNext()) {
                KeyValue<String, byte[]> mark = all.next();
                RowState s = byId.get(mark.key);
                if (s != null) {
                    RowStateHeader.decodeInto(mark.value, s);
                    s.marked = true;
                }
            }
        }
        for (Map.Entry<String, RowState> e : byId.entrySet()) {
            Connection c = e.getValue().row;
            String rk = RowKeys.row(RowKeys.tuple(c.getHost(), c.getLaddr(), c.getLport(), c.getRaddr(), c.getRport()), e.getKey());
            table.rows.put(rk, e.getValue());
            table.index(rk);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        metrics.restored(records, byId.size(), seconds);
        if (withoutHeader[0] > 0) metrics.restoredWithoutHeader(withoutHeader[0]);
        log.info("task {}: restored {} rows from {} records of {}-{} in {} ms ({} records/s)", context.taskId(), byId.size(), records,
                topic, partition, Math.round(seconds * 1000), seconds > 0 ? Math.round(records / seconds) : records);
        return table;
    }

    @Override
    public RowState get(String rowKey) {
        RowState row = rows.get(rowKey);
        lastKey = rowKey;
        lastRow = row;
        return row;
    }

    @Override
    public void put(String rowKey, RowState row) {
        if (rowKey != lastKey || row != lastRow) {
            // a new row, or another object for the key (an existing row is changed in place)
            if (rows.put(rowKey, row) == null) index(rowKey);
            lastKey = rowKey;
            lastRow = row;
        }
        if (row.marked) {
            // the published change carries the bookkeeping now
            marks.delete(RowKeys.connectionIdOf(rowKey));
            row.marked = false;
        }
    }

    @Override
    public void remember(String rowKey, RowState row) {
        if ((rowKey != lastKey || row != lastRow) && rows.put(rowKey, row) == null) index(rowKey);
        marks.put(RowKeys.connectionIdOf(rowKey), RowStateHeader.encode(row));
        row.marked = true;
    }

    @Override
    public void delete(String rowKey) {
        RowState row = rows.remove(rowKey);
        lastKey = null;
        lastRow = null;
        if (row == null) return;
        String id = RowKeys.connectionIdOf(rowKey);
        byHost.remove(hostOf(rowKey), rowKey);
        if (tupleIndexBuilt) byTuple.remove(rowKey.substring(0, rowKey.length() - id.length()), rowKey);
        if (row.marked) marks.delete(id);
    }

    @Override
    public List<KeyValue<String, RowState>> ofHost(String host) {
        List<String> keys = byHost.members(host);
        List<KeyValue<String, RowState>> out = new ArrayList<>(keys.size());
        for (String k : keys) out.add(KeyValue.pair(k, rows.get(k)));
        return out;
    }

    @Override
    public List<String> keysOfTuple(String tuplePrefix) {
        if (!tupleIndexBuilt) {
            tupleIndexBuilt = true;
            for (String rk : rows.keySet()) indexTuple(rk);
        }
        return byTuple.members(tuplePrefix);
    }

    @Override
    public void forEach(BiConsumer<String, RowState> each) {
        rows.forEach(each);
    }

    private void index(String rowKey) {
        byHost.add(hostOf(rowKey), rowKey);
        if (tupleIndexBuilt) indexTuple(rowKey);
    }

    private void indexTuple(String rowKey) {
        byTuple.add(rowKey.substring(0, rowKey.length() - RowKeys.connectionIdOf(rowKey).length()), rowKey);
    }

    private static String hostOf(String rowKey) {
        return rowKey.substring(0, rowKey.indexOf('|'));
    }
}
