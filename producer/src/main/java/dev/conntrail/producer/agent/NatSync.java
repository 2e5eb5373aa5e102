package dev.conntrail.producer.agent;

import dev.conntrail.avro.NatEntry;
import dev.conntrail.producer.conntrack.ConntrackEntry;
import dev.conntrail.producer.conntrack.ConntrackListener;
import dev.conntrail.producer.conntrack.ConntrackReader;
import dev.conntrail.producer.ns.NetNamespace;
import dev.conntrail.schemas.Keys;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Design rule 7 (NAT): conntrack's NAT-translated TCP entries to {@code conntrack-nat}. Subscribes to NEW/DESTROY,
 * then dumps; NEW publishes, DESTROY tombstones, and after every dump the keys this agent published
 * that the dump no longer holds are tombstoned. Dump and event handling share one lock, so an event
 * that races a dump is applied after the dump's records. Keys an earlier run left live on the topic
 * count as published, so the topic converges after restarts too.
 */
final class NatSync implements ConntrackListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NatSync.class);
    private final ConntrackReader reader;
    private final EventPublisher publisher;
    private final LossTracker loss;
    private final String host;
    /** Published NAT keys → their namespace (a per-namespace resync tombstones only that namespace's keys). */
    private final Map<String, Long> published = new HashMap<>();
    private volatile boolean running;

    private NatSync(ConntrackReader reader, EventPublisher publisher, LossTracker loss, String host) {
        this.reader = reader;
        this.publisher = publisher;
        this.loss = loss;
        this.host = host;
    }

    /**
     * Starts NAT reading, or returns null (said once, in the log) when conntrack cannot be read here:
     * no CAP_NET_ADMIN, or no nf_conntrack_netlink.
     */
    static NatSync start(ConntrackReader.Scope scope, EventPublisher publisher, LossTracker loss, String host,
            Map<String, Long> earlierKeys) {
        ConntrackReader reader = new ConntrackReader(scope);
        try {
            // the reader's dump() skips namespaces it cannot read; probe our own so a missing capability is said
            List<NetNamespace> own = new ConntrackReader(ConntrackReader.Scope.ROOT).namespaces();
            if (!own.isEmpty()) {
                reader.dump(own.get(0));
            }
        } catch (RuntimeException e) {
            LOG.warn("no NAT: conntrack is not readable here ({}); it needs CAP_NET_ADMIN and the nf_conntrack_netlink module. "
                    + "Continuing without conntrack-nat", e.getMessage());
            reader.close();
            return null;
        }
        NatSync sync = new NatSync(reader, publisher, loss, host);
        sync.published.putAll(earlierKeys); // an earlier run's keys: the first dump tombstones those now gone
        sync.running = true;
        reader.subscribe(sync); // before the dump, so nothing falls between
        sync.dumpAndConverge();
        return sync;
    }

    /** A full dump: publish every entry, tombstone published keys it no longer holds. Returns the entry count. */
    synchronized int dumpAndConverge() {
        List<ConntrackEntry> entries = reader.dump();
        converge(entries, null);
        return entries.size();
    }

    /** Publishes every entry of a dump, then tombstones published keys (of one netns, or all) it does not hold. */
    private void converge(List<ConntrackEntry> dump, Long onlyNetns) {
        Set<String> seen = new HashSet<>();
        long now = System.currentTimeMillis();
        for (ConntrackEntry e : dump) {
            seen.add(publish(e, now));
        }
        tombstoneMissing(seen, onlyNetns);
    }

    private String publish(ConntrackEntry entry, long now) {
        NatEntry n = entry.toNatEntry(host, now);
        String key = Keys.of(n);
        publisher.publishNat(n);
        published.put(key, entry.netns());
        return key;
    }

    private void tombstoneMissing(Set<String> seen, Long onlyNetns) {
        var it = published.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if ((onlyNetns == null || onlyNetns.equals(e.getValue())) && !seen.contains(e.getKey())) {
                publisher.tombstoneNat(e.getKey());
                it.remove();
            }
        }
    }

    @Override
    public synchronized void created(ConntrackEntry entry) {
        if (!running) {
            return;
        }
        publish(entry, System.currentTimeMillis());
    }

    @Override
    public synchronized void destroyed(ConntrackEntry entry) {
        if (!running) {
            return;
        }
        String key = Keys.of(entry.toNatEntry(host, 0L));
        published.remove(key);
        // also when this run never published it: a previous run may have
        publisher.tombstoneNat(key);
    }

    @Override
    public synchronized void resynced(long netns, List<ConntrackEntry> freshDump) {
        if (!running) {
            return;
        }
        loss.lost(LossCause.CONNTRACK, 1, "conntrack events of netns " + netns + " dropped by the kernel (ENOBUFS)");
        converge(freshDump, netns);
    }

    @Override
    public synchronized void namespaceAdded(long netns, List<ConntrackEntry> firstDump) {
        if (!running) {
            return;
        }
        converge(firstDump, netns); // a new namespace: publish what it holds, nothing was lost
    }

    /**
     * Keys an earlier run left live on the topic, read back after the start (the read at start
     * failed): those this run has not published are not in the kernel's table (the first dump and
     * every NEW since are published), so they are tombstoned now.
     */
    synchronized int adoptEarlierKeys(Map<String, Long> earlierKeys) {
        if (!running) {
            return 0;
        }
        int stale = 0;
        for (String key : earlierKeys.keySet()) {
            if (!published.containsKey(key)) {
                publisher.tombstoneNat(key);
                stale++;
            }
        }
        LOG.info("{} NAT keys of an earlier run read back late: {} no longer in the kernel's table, tombstoned", earlierKeys.size(), stale);
        return stale;
    }

    synchronized int entries() {
        return published.size();
    }

    @Override
    public void close() {
        running = false;
        reader.close();
    }
}
