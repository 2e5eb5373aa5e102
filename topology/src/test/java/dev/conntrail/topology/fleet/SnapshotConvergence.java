package dev.conntrail.topology.fleet;

import dev.conntrail.schemas.Keys;
import dev.conntrail.topology.fleet.TableWatcher.RowHistory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Time to converge after a host's snapshot: from the moment its SNAPSHOT_END was sent to the moment the table
 * (as {@link TableWatcher} reads it, {@code read_committed}) shows the host as the snapshot says — every socket in
 * it on an OPEN row (or on a CLOSED one, when its CLOSE came since), every socket its earlier records left open and
 * the snapshot lacks on a closed row (NOT_IN_SNAPSHOT, or HOST_LOST if the topology had judged the host lost). A
 * snapshot that changes no row has converged when it is sent: the table showed the host right already.
 */
final class SnapshotConvergence implements FleetSimulator.SnapshotListener {
    /** One snapshot's figure: -1 ms while it has not converged. */
    record Converged(String host, String why, long sentAtMillis, int open, int gone, long millis) {
    }

    private static final class Pending {
        final String why;
        final long sentAt;
        final int open;
        final int gone;
        final Map<String, Boolean> wantOpen = new HashMap<>();
        final Set<String> unmet = new HashSet<>();

        Pending(String why, long sentAt, int open, int gone) {
            this.why = why;
            this.sentAt = sentAt;
            this.open = open;
            this.gone = gone;
        }
    }

    private final Object lock;
    private final Map<String, RowHistory> history;
    private final Map<String, Pending> pending = new HashMap<>();
    private final List<Converged> done = new ArrayList<>();

    /**
     * @param lock    the lock under which the watcher reads and calls {@link #changed}
     * @param history the watcher's row histories (read under {@code lock})
     */
    SnapshotConvergence(Object lock, Map<String, RowHistory> history) {
        this.lock = lock;
        this.history = history;
    }

    @Override
    public void snapshotEnded(String host, String why, long sentAtMillis, Set<String> open, Set<String> gone) {
        synchronized (lock) {
            Pending p = new Pending(why, sentAtMillis, open.size(), gone.size());
            for (String id : open) p.wantOpen.put(id, true);
            for (String id : gone) p.wantOpen.put(id, false);
            p.wantOpen.forEach((id, want) -> {
                if (!met(want, history.get(id))) p.unmet.add(id);
            });
            Pending earlier = pending.put(host, p);
            if (earlier != null) done.add(new Converged(host, earlier.why, earlier.sentAt, earlier.open, earlier.gone, -1));
            if (p.unmet.isEmpty()) finish(host, p, System.currentTimeMillis());
        }
    }

    /** A row change was read (under the watcher's lock). */
    void changed(String id, RowHistory h, long now) {
        if (pending.isEmpty()) return;
        Pending p = pending.get(Keys.hostOf(id));
        if (p == null) return;
        Boolean want = p.wantOpen.get(id);
        if (want == null) return;
        if (met(want, h)) p.unmet.remove(id);
        else p.unmet.add(id);
        if (p.unmet.isEmpty()) finish(Keys.hostOf(id), p, now);
    }

    private void finish(String host, Pending p, long now) {
        pending.remove(host);
        done.add(new Converged(host, p.why, p.sentAt, p.open, p.gone, Math.max(0, now - p.sentAt)));
    }

    private static boolean met(boolean wantOpen, RowHistory h) {
        if (h == null) return false;
        if (wantOpen) return h.lastRow == RowHistory.OPEN || h.lastRow == RowHistory.CLOSED;
        return h.lastRow == RowHistory.NOT_IN_SNAPSHOT || h.lastRow == RowHistory.HOST_LOST || h.lastRow == RowHistory.CLOSED;
    }

    /** Every snapshot so far, converged ones with their time, the others with -1. */
    List<Converged> results() {
        synchronized (lock) {
            List<Converged> all = new ArrayList<>(done);
            pending.forEach((host, p) -> all.add(new Converged(host, p.why, p.sentAt, p.open, p.gone, -1)));
            return all;
        }
    }
}
