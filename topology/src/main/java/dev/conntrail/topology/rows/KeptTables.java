package dev.conntrail.topology.rows;

import java.lang.ref.SoftReference;
import java.util.HashMap;
import java.util.Map;

/**
 * Restored tables that no record has changed yet, one per partition, so that a task initialised again
 * on this instance continues its restore where the last one ended instead of reading the partition
 * again. That is what bounds a restore longer than {@code max.poll.interval.ms}: the member leaves its
 * group during it, the task is closed before it processes anything and given back, and without this
 * every attempt would read the whole partition and leave the group again (observed on a real broker:
 * 23 restores of one partition in two minutes, no input processed).
 *
 * <p>A table leaves on its first change ({@link HeapRowTable} tells) or when taken. One whose task went
 * elsewhere and never came back stays until a task of its partition is initialised here again; it is
 * held softly, so the garbage collector drops it before memory runs short.
 */
public final class KeptTables {
    private final Map<String, SoftReference<HeapRowTable>> tables = new HashMap<>();

    synchronized void keep(String partition, HeapRowTable table) {
        tables.put(partition, new SoftReference<>(table));
    }

    /** The partition's kept table, no longer kept; null if none. */
    synchronized HeapRowTable take(String partition) {
        SoftReference<HeapRowTable> kept = tables.remove(partition);
        return kept == null ? null : kept.get();
    }

    /** The table was changed: it is no longer what its restore read. */
    synchronized void changed(String partition, HeapRowTable table) {
        SoftReference<HeapRowTable> kept = tables.get(partition);
        if (kept != null && kept.get() == table) tables.remove(partition);
    }

    synchronized int size() {
        return tables.size();
    }
}
