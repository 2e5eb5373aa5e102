package dev.conntrail.topology.rows;

import java.lang.ref.SoftReference;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Restored tables that no record has changed yet, one per partition, so that a task initialised again
 * on this instance continues its restore where the last one ended instead of reading the partition
 * again. That is what bounds a restore longer than {@code max.poll.interval.ms}: the member leaves its
 * group during it, the task is closed before it processes anything and given back, and without this
 * every attempt would read the whole partition and leave the group again (on a real broker: 23
 * restores of one partition in two minutes, no input processed).
 *
 * <p>A table leaves on its first change ({@link HeapRowTable} tells) or when taken. One whose task went
 * elsewhere stays until a task of its partition is initialised here again; it is held softly, so the
 * garbage collector drops it before memory runs short, and it is not continued once older than
 * {@link #MAX_AGE}: a tombstone written after its restore stays on {@code connections} for
 * {@code delete.retention.ms} (a day) at least, so a table continued within that misses none.
 */
public final class KeptTables {
    static final Duration MAX_AGE = Duration.ofHours(1);

    private record Kept(SoftReference<HeapRowTable> table, long atNanos) {
    }

    private final Map<String, Kept> tables = new HashMap<>();
    private final LongSupplier nanoClock;

    public KeptTables() {
        this(System::nanoTime);
    }

    KeptTables(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    synchronized void keep(String partition, HeapRowTable table) {
        tables.put(partition, new Kept(new SoftReference<>(table), nanoClock.getAsLong()));
    }

    /** The partition's kept table, no longer kept; null if none (or too old to continue). */
    synchronized HeapRowTable take(String partition) {
        Kept kept = tables.remove(partition);
        if (kept == null || nanoClock.getAsLong() - kept.atNanos() > MAX_AGE.toNanos()) return null;
        return kept.table().get();
    }

    /** The table was changed: it is no longer what its restore read. */
    synchronized void changed(String partition, HeapRowTable table) {
        Kept kept = tables.get(partition);
        if (kept != null && kept.table().get() == table) tables.remove(partition);
    }

    synchronized int size() {
        return tables.size();
    }
}
