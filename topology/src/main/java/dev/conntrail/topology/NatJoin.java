package dev.conntrail.topology;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.schemas.Keys;
import dev.conntrail.topology.errors.InputRejectedException;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.rows.RowKeys;
import dev.conntrail.topology.rows.RowTable;
import dev.conntrail.topology.state.HostState;
import dev.conntrail.topology.state.RowState;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Design rule 7 (NAT): joins {@code conntrack-nat} entries and rows both ways. An entry is kept
 * twice in the {@code nat-entries} store, under its original and its reply tuple ({@link RowKeys}),
 * and attached to the open rows of either tuple as it arrives; a new row takes the best entry of its
 * tuple ({@link #attachBest}).
 */
final class NatJoin {
    private static final StringSerializer PREFIX = new StringSerializer();

    private final KeyValueStore<String, NatEntry> store;
    private final RowTable rows;
    private final RowChanges changes;
    private final HostLiveness hosts;
    private final TopologyMetrics metrics;
    private final long window;
    /** How many NAT entries each tuple prefix (O|... and R|...) has, so sockets without NAT skip the store scan. */
    private final Map<String, Integer> tuples = new HashMap<>();

    NatJoin(KeyValueStore<String, NatEntry> store, RowTable rows, RowChanges changes, HostLiveness hosts, TopologySettings settings,
            TopologyMetrics metrics) {
        this.store = store;
        this.rows = rows;
        this.changes = changes;
        this.hosts = hosts;
        this.metrics = metrics;
        this.window = settings.window().toMillis();
    }

    /** Counts the stored entries by tuple (at init). */
    void restore() {
        try (KeyValueIterator<String, NatEntry> all = store.all()) {
            while (all.hasNext()) {
                tuples.merge(natTuple(all.next().key), 1, Integer::sum);
            }
        }
    }

    /** A record of {@code conntrack-nat}: the entry replaces the one of its NAT key (a tombstone only removes it) and joins its rows. */
    void onEntry(String natKey, NatEntry entry, long ts, long now) {
        String host = Keys.hostOf(natKey); // checked at the door
        Keys.NatKeyParts k;
        try {
            k = Keys.parseNatKey(natKey);
        } catch (IllegalArgumentException e) {
            throw new InputRejectedException(InputRejectedException.BAD_KEY, e.getMessage() + ": " + InputDoor.shortened(natKey));
        }
        HostState h = hosts.seen(host, now);
        String initiatorKey = RowKeys.INITIATOR + RowKeys.tuple(host, k.origSrc(), k.origSport(), k.origDst(), k.origDport()) + natKey;
        NatEntry old = store.get(initiatorKey);
        if (old != null) {
            delete(responderKey(host, old, natKey));
            delete(initiatorKey);
        }
        if (entry == null) {
            // a tombstone only takes the entry out of the join: rows keep the NAT facts they have
            hosts.persist(host, h);
            return;
        }
        put(initiatorKey, entry);
        put(responderKey(host, entry, natKey), entry);
        long rootNetns = hosts.rootNetns(host);
        Set<String> candidates = new LinkedHashSet<>();
        candidates.addAll(rows.keysOfTuple(RowKeys.tuple(host, entry.getOrigSrc(), entry.getOrigSport(), entry.getOrigDst(), entry.getOrigDport())));
        candidates.addAll(rows.keysOfTuple(RowKeys.tuple(host, entry.getReplySrc(), entry.getReplySport(), entry.getReplyDst(), entry.getReplyDport())));
        for (String rk : candidates) {
            RowState s = rows.get(rk);
            if (!s.isOpen() && (s.row.getNat() != null || entry.getTimestamp().toEpochMilli() > s.row.getClosedAt().toEpochMilli() + window)) {
                // a closed row keeps its NAT facts; an entry first seen well after the close is
                // another connection that reuses the tuple
                continue;
            }
            NatChoice best = best(rk, s.row, rootNetns);
            if (best != null && !Objects.equals(best.info(), s.row.getNat())) {
                s.row.setNat(best.info());
                s.row.setUpdatedAt(Instant.ofEpochMilli(now));
                if (changes.store(rk, s, ts)) metrics.natMatched();
            }
        }
        hosts.persist(host, h);
    }

    /** Gives a new row the best entry of its tuple, if any; true when it got one (counted once the row is stored). */
    boolean attachBest(String rk, RowState s) {
        NatChoice best = best(rk, s.row, hosts.rootNetns(s.row.getHost()));
        if (best != null) {
            s.row.setNat(best.info());
            return true;
        }
        return false;
    }

    /** The entries whose original tuple (initiator) or reply tuple (responder) is this socket's. */
    private NatChoice best(String rk, Connection socket, long rootNetns) {
        if (tuples.isEmpty()) return null; // a task without NAT entries: no key to build
        String tuple = rows.tupleOf(rk, socket);
        NatChoice best = null;
        for (String role : new String[] {RowKeys.INITIATOR, RowKeys.RESPONDER}) {
            String prefix = role + tuple;
            if (!tuples.containsKey(prefix)) continue;
            try (KeyValueIterator<String, NatEntry> it = store.prefixScan(prefix, PREFIX)) {
                while (it.hasNext()) {
                    KeyValue<String, NatEntry> kv = it.next();
                    NatChoice c = new NatChoice(kv.value, kv.key.substring(prefix.length()), role.equals(RowKeys.INITIATOR), socket, rootNetns);
                    if (c.betterThan(best)) best = c;
                }
            }
        }
        return best;
    }

    private void put(String key, NatEntry entry) {
        store.put(key, entry);
        tuples.merge(natTuple(key), 1, Integer::sum);
    }

    private void delete(String key) {
        store.delete(key);
        tuples.computeIfPresent(natTuple(key), (k, n) -> n == 1 ? null : n - 1);
    }

    /** {@code O|host|a|p|b|q|} of a nat-entries key: up to its sixth separator (the NAT key follows). */
    static String natTuple(String natStoreKey) {
        int at = 1; // the separator after the role letter; then host, a, p, b, q
        for (int i = 0; i < 5; i++) {
            at = natStoreKey.indexOf(Keys.SEPARATOR, at + 1);
        }
        return natStoreKey.substring(0, at + 1);
    }

    private static String responderKey(String host, NatEntry n, String natKey) {
        return RowKeys.RESPONDER + RowKeys.tuple(host, n.getReplySrc(), n.getReplySport(), n.getReplyDst(), n.getReplyDport()) + natKey;
    }
}
