package dev.conntrail.topology.rows;

import dev.conntrail.avro.Connection;
import dev.conntrail.topology.state.RowState;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.kafka.streams.KeyValue;

/**
 * The rows of one task. Two kinds: {@link HeapRowTable} (the default: rows on the heap,
 * {@code connections} is their changelog, keyed by the connection id) and {@link StoreRowTable}
 * (a logged RocksDB store, for tables larger than the heap, keyed
 * {@code host|l|lport|r|rport|<connection id>} ({@link RowKeys}) so its lookups are prefix scans).
 * Callers get a row's key from {@link #keyOf} and never take it apart themselves.
 *
 * <p>Callers change a row they got in place and then {@link #put} or {@link #remember} it.
 */
public interface RowTable {
    /** The table's key of a socket's row. */
    String keyOf(String connectionId, String host, String laddr, Integer lport, String raddr, Integer rport);

    /** The connection id (the key on {@code connections}) of a row key. */
    String idOf(String rowKey);

    /** The tuple prefix {@code host|l|lport|r|rport|} of a row (design rule 7 (NAT)). */
    String tupleOf(String rowKey, Connection row);

    RowState get(String rowKey);

    /** A row change that is published to {@code connections} right after, with its bookkeeping. */
    void put(String rowKey, RowState row);

    /** Only the bookkeeping changed (a duplicate): nothing is published, but it must survive a restart. */
    void remember(String rowKey, RowState row);

    void delete(String rowKey);

    /**
     * Deletes the row if it is closed and its tombstone is due at {@code now} (design rule 4 (windows)) and returns
     * its tombstone time; {@link RowState#NONE} if not (reopened, gone, not due yet).
     */
    long deleteIfDue(String rowKey, long now);

    /** Every row of a host (design rule 5 (convergence)), safe to change while walking the list. */
    List<KeyValue<String, RowState>> ofHost(String host);

    /** The keys of the rows of one tuple prefix {@code host|l|lport|r|rport|} (design rule 7 (NAT)). */
    List<String> keysOfTuple(String tuplePrefix);

    /** Every row, once (at init). */
    void forEach(BiConsumer<String, RowState> each);
}
