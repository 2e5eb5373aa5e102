package dev.conntrail.topology.fleet;

import dev.conntrail.avro.NatEntry;
import dev.conntrail.schemas.Keys;
import dev.conntrail.topology.fleet.FleetModel.Fate;
import dev.conntrail.topology.fleet.TableWatcher.RowHistory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The table read back against the simulator's model, row by row: every connection open at the end OPEN (with
 * its NAT, if it went through one, and none otherwise), every closed one CLOSED then tombstoned, every one of a
 * vanished host HOST_LOST (then tombstoned, or OPEN again when it outlived its host's absence), every change
 * on its host's partition, and no row the fleet did not make. A host that came back before the topology had proof
 * of its silence (design rule 5: a lagging topology proves nothing) was never judged lost: its new snapshot then
 * closes, NOT_IN_SNAPSHOT, the rows of the sockets that closed while it was away, and confirms the others. A connection
 * whose CLOSE was lost before its live host's resync is CLOSED (NOT_IN_SNAPSHOT), then tombstoned. Whether a
 * returning host was judged is read from the table itself (any of its rows HOST_LOST) and reported.
 */
final class TableCheck {
    /** What did not match: per kind of mismatch, how many rows and the first few ids. */
    record Result(long rowsExpected, long rowsRead, Set<String> hostsJudgedLost, Map<String, List<String>> problems, Map<String, Long> counts) {
        boolean ok() {
            return problems.isEmpty();
        }

        @Override
        public String toString() {
            if (ok()) return rowsExpected + " rows as the model says; hosts judged lost: " + hostsJudgedLost;
            StringBuilder b = new StringBuilder(rowsExpected + " rows expected, " + rowsRead + " read; mismatches:");
            problems.forEach((k, ids) -> b.append("\n  ").append(k).append(": ").append(counts.get(k)).append(" rows, e.g. ").append(ids));
            return b.toString();
        }
    }

    private TableCheck() {
    }

    static Result check(FleetModel model, TableWatcher watcher) {
        Map<String, Fate> fates = model.fates();
        return watcher.withHistory(history -> {
            Map<String, List<String>> problems = new TreeMap<>();
            Map<String, Long> counts = new TreeMap<>();
            Set<String> judged = new TreeSet<>();
            history.forEach((id, h) -> {
                if (h.saw(RowHistory.HOST_LOST)) judged.add(Keys.hostOf(id));
            });
            for (Map.Entry<String, Fate> e : fates.entrySet()) {
                String id = e.getKey();
                String host = Keys.hostOf(id);
                boolean unjudgedReturn = model.wasLost(id) && model.hasReturned(host) && !judged.contains(host);
                String problem = problem(e.getValue(), history.get(id), model.natOf(id), model.wasLost(id), unjudgedReturn);
                if (problem != null) note(problems, counts, problem, id);
            }
            for (Map.Entry<String, RowHistory> e : history.entrySet()) {
                if (!fates.containsKey(e.getKey())) note(problems, counts, "a row no simulated connection made", e.getKey());
                if (e.getValue().saw(RowHistory.WRONG_PARTITION)) note(problems, counts, "a change on another partition than its host's", e.getKey());
            }
            return new Result(fates.size(), history.size(), judged, problems, counts);
        });
    }

    private static String problem(Fate fate, RowHistory h, NatEntry nat, boolean wasLost, boolean unjudgedReturn) {
        if (h == null) return fate + " expected, no row at all";
        boolean lost = wasLost && !unjudgedReturn;
        if (h.saw(RowHistory.HOST_LOST) != lost) return fate + (lost ? " expected after HOST_LOST, never HOST_LOST" : " expected, HOST_LOST on the way");
        boolean notInSnapshot = (unjudgedReturn && fate == Fate.HOST_LOST) || fate == Fate.NOT_IN_SNAPSHOT;
        if (h.saw(RowHistory.NOT_IN_SNAPSHOT) != notInSnapshot) {
            return fate + (notInSnapshot ? " expected, never NOT_IN_SNAPSHOT" : " expected, NOT_IN_SNAPSHOT on the way");
        }
        switch (fate) {
            case OPEN, HOST_LOST_THEN_OPEN -> {
                if (h.last != RowHistory.OPEN) return fate + " expected, last change " + kind(h.last);
                String want = nat == null ? null : TableWatcher.nat(nat.getOrigSrc(), nat.getOrigSport(), nat.getOrigDst(), nat.getOrigDport(),
                        nat.getReplySrc(), nat.getReplySport());
                if (want == null ? h.lastNat != null : !want.equals(h.lastNat)) return fate + " expected with NAT " + want + ", row has " + h.lastNat;
                if (fate == Fate.OPEN && h.saw(RowHistory.CLOSED)) return "OPEN expected, CLOSED on the way";
            }
            case CLOSED -> {
                if (!h.saw(RowHistory.CLOSED)) return "CLOSED expected, never CLOSED (reason CLOSED)";
                if (h.last != RowHistory.TOMBSTONE) return "CLOSED expected then tombstoned, last change " + kind(h.last);
            }
            case NOT_IN_SNAPSHOT -> {
                if (h.saw(RowHistory.CLOSED)) return "NOT_IN_SNAPSHOT expected, CLOSED (reason CLOSED) on the way";
                if (h.last != RowHistory.TOMBSTONE) return "NOT_IN_SNAPSHOT expected then tombstoned, last change " + kind(h.last);
            }
            case HOST_LOST -> {
                if (h.saw(RowHistory.CLOSED)) return "HOST_LOST expected, CLOSED (reason CLOSED) on the way";
                if (h.last != RowHistory.TOMBSTONE) return "HOST_LOST expected then tombstoned, last change " + kind(h.last);
            }
        }
        return null;
    }

    private static String kind(int k) {
        return switch (k) {
            case RowHistory.OPEN -> "OPEN";
            case RowHistory.CLOSED -> "CLOSED";
            case RowHistory.HOST_LOST -> "CLOSED (HOST_LOST)";
            case RowHistory.NOT_IN_SNAPSHOT -> "CLOSED (NOT_IN_SNAPSHOT)";
            case RowHistory.TOMBSTONE -> "a tombstone";
            default -> "kind " + k;
        };
    }

    private static void note(Map<String, List<String>> problems, Map<String, Long> counts, String problem, String id) {
        counts.merge(problem, 1L, Long::sum);
        List<String> ids = problems.computeIfAbsent(problem, k -> new ArrayList<>());
        if (ids.size() < 3) ids.add(id);
    }
}
