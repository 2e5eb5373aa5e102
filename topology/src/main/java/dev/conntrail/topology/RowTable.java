package dev.conntrail.topology;

import dev.conntrail.topology.state.RowState;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The rows store of one task, with the rows also kept as objects on the heap when the store is
 * in memory anyway. Profiled: decoding the stored bytes on every {@code get} was 7 % of the
 * stream thread and the byte-array tree lookups another 4 %; the heap copy answers {@code get}
 * from a hash map, and the store still receives every write (so the changelog, restores and
 * prefix scans are unchanged). The copy is rebuilt from the store whenever the task is
 * (re)initialised, so it is exactly as durable as the store. With RocksDB (tables larger than
 * the heap) there is no copy.
 *
 * <p>Callers change a row they got in place and then {@link #put} it: between the two, the heap
 * copy is ahead of the store, so nothing may fail in between.
 */
final class RowTable {
    private static final StringSerializer PREFIX = new StringSerializer();

    private final KeyValueStore<String, RowState> store;
    private final Map<String, RowState> heap;

    RowTable(KeyValueStore<String, RowState> store, boolean keepOnHeap) {
        this.store = store;
        this.heap = keepOnHeap ? new HashMap<>() : null;
    }

    /** Reads every stored row once (at init): fills the heap copy and hands each row to {@code each}. */
    void load(BiConsumer<String, RowState> each) {
        if (heap != null) heap.clear();
        try (KeyValueIterator<String, RowState> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, RowState> kv = all.next();
                if (heap != null) heap.put(kv.key, kv.value);
                each.accept(kv.key, kv.value);
            }
        }
    }

    RowState get(String key) {
        return heap != null ? heap.get(key) : store.get(key);
    }

    void put(String key, RowState row) {
        store.put(key, row);
        if (heap != null) heap.put(key, row);
    }

    void delete(String key) {
        store.delete(key);
        if (heap != null) heap.remove(key);
    }

    /** Rows whose key starts with {@code prefix}, as stored (decoded copies: {@link #put} them back to change them). */
    KeyValueIterator<String, RowState> prefixScan(String prefix) {
        return store.prefixScan(prefix, PREFIX);
    }
}
