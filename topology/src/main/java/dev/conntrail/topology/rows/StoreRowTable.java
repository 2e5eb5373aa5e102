package dev.conntrail.topology.rows;

import dev.conntrail.avro.Connection;
import dev.conntrail.topology.state.RowState;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Rows in a logged key-value store ({@code --state-store rocksdb}): for tables larger than the
 * heap. Streams restores the store from its own changelog ({@code <app>-rows-changelog}), so every
 * put is a second record beside the row change on {@code connections}. Gets decode on every call.
 */
public final class StoreRowTable implements RowTable {
    private static final StringSerializer PREFIX = new StringSerializer();

    private final KeyValueStore<String, RowState> store;

    public StoreRowTable(KeyValueStore<String, RowState> store) {
        this.store = store;
    }

    @Override
    public String keyOf(String connectionId, String host, String laddr, Integer lport, String raddr, Integer rport) {
        return RowKeys.row(RowKeys.tuple(host, laddr, lport, raddr, rport), connectionId);
    }

    @Override
    public String idOf(String rowKey) {
        return RowKeys.connectionIdOf(rowKey);
    }

    @Override
    public String tupleOf(String rowKey, Connection row) {
        return rowKey.substring(0, rowKey.length() - idOf(rowKey).length());
    }

    @Override
    public RowState get(String rowKey) {
        return store.get(rowKey);
    }

    @Override
    public void put(String rowKey, RowState row) {
        store.put(rowKey, row);
    }

    @Override
    public void remember(String rowKey, RowState row) {
        store.put(rowKey, row);
    }

    @Override
    public void delete(String rowKey) {
        store.delete(rowKey);
    }

    @Override
    public long deleteIfDue(String rowKey, long now) {
        RowState s = store.get(rowKey);
        if (s == null || s.isOpen() || s.tombstoneAt > now) return RowState.NONE;
        store.delete(rowKey);
        return s.tombstoneAt;
    }

    @Override
    public List<KeyValue<String, RowState>> ofHost(String host) {
        List<KeyValue<String, RowState>> rows = new ArrayList<>();
        try (KeyValueIterator<String, RowState> it = store.prefixScan(RowKeys.hostPrefix(host), PREFIX)) {
            it.forEachRemaining(rows::add);
        }
        return rows;
    }

    @Override
    public List<String> keysOfTuple(String tuplePrefix) {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, RowState> it = store.prefixScan(tuplePrefix, PREFIX)) {
            while (it.hasNext()) keys.add(it.next().key);
        }
        return keys;
    }

    @Override
    public void forEach(BiConsumer<String, RowState> each) {
        try (KeyValueIterator<String, RowState> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, RowState> kv = all.next();
                each.accept(kv.key, kv.value);
            }
        }
    }
}
