package dev.conntrail.topology;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.schemas.HostPartitioner;
import dev.conntrail.topology.errors.InputRejectedException;
import dev.conntrail.topology.liveness.InputProgress;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.rows.RowTable;
import dev.conntrail.topology.state.HostState;
import dev.conntrail.topology.state.RowState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hosts of one task (design rule 5, convergence): when each was last seen, whether it is lost,
 * its root namespace and the snapshot in progress ({@link HostState}, kept in the {@code hosts}
 * store). A host whose partition was read through for more than 3 W without a record of it is
 * lost: its open rows close HOST_LOST; its next record brings it back.
 */
final class HostLiveness {
    private static final Logger log = LoggerFactory.getLogger(HostLiveness.class);

    private final ProcessorContext<String, Connection> context;
    private final KeyValueStore<String, HostState> store;
    private final RowTable rows;
    private final RowChanges changes;
    private final InputProgress progress;
    private final TopologySettings settings;
    private final TopologyMetrics metrics;
    private final long window;
    private final Map<String, HostState> hosts = new HashMap<>();
    /** What the store holds of each host, to skip writes that change only liveness. */
    private final Map<String, HostState> persisted = new HashMap<>();
    private long lost;

    HostLiveness(ProcessorContext<String, Connection> context, KeyValueStore<String, HostState> store, RowTable rows, RowChanges changes,
            InputProgress progress, TopologySettings settings, TopologyMetrics metrics) {
        this.context = context;
        this.store = store;
        this.rows = rows;
        this.changes = changes;
        this.progress = progress;
        this.settings = settings;
        this.metrics = metrics;
        this.window = settings.window().toMillis();
    }

    /** Loads the task's hosts from the store (at init). */
    void restore() {
        try (KeyValueIterator<String, HostState> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, HostState> kv = all.next();
                hosts.put(kv.key, kv.value);
                persisted.put(kv.key, kv.value.copy());
                if (kv.value.lost) lost++;
            }
        }
        metrics.hostsSeen.addAndGet(hosts.size());
        metrics.hostsLostNow.addAndGet(lost);
    }

    int size() {
        return hosts.size();
    }

    /** A record of the host was processed now: the host is alive (back, if it was lost). The first record checks its partition. */
    HostState seen(String host, long now) {
        HostState h = hosts.get(host);
        if (h == null) {
            checkPartition(host);
            h = new HostState();
            hosts.put(host, h);
            metrics.hostsSeen.incrementAndGet();
        }
        h.lastSeen = now;
        if (h.lost) {
            h.lost = false;
            lost--;
            metrics.hostsLostNow.decrementAndGet();
            log.info("host {} is back", host);
        }
        return h;
    }

    /** The host's root network namespace (design rule 7, NAT), or the configured default while it has named none. */
    long rootNetns(String host) {
        HostState h = hosts.get(host);
        return h == null || h.rootNetns == RowState.NONE ? settings.defaultRootNetns() : h.rootNetns;
    }

    /** Host state is written when something but liveness changed, and liveness at most twice a window. */
    void persist(String host, HostState h) {
        HostState p = persisted.get(host);
        if (p == null || !h.sameExceptLastSeen(p) || h.lastSeen - p.lastSeen >= window / 2) {
            HostState copy = h.copy();
            store.put(host, copy);
            persisted.put(host, copy);
        }
    }

    /**
     * A host is lost when the task's input is proven read through ({@link InputProgress}) over more than 3 W after
     * the host's last record, with no record of the host in it. Silence the topology caused itself proves nothing:
     * while the task lags, everything after its position is unknown; while the offsets cannot be read (broker
     * unreachable) or before they were first read (a restart), the proof breaks and silence is counted again from
     * where it resumes. Event times play no part: a host clock ahead or behind cannot make a task look caught up or
     * behind.
     */
    void judge(long now) {
        if (hosts.isEmpty()) return;
        InputProgress.ReadThrough proof = progress.readThrough(context.taskId().partition(), now);
        if (proof == null) return;
        for (Map.Entry<String, HostState> e : hosts.entrySet()) {
            HostState h = e.getValue();
            if (!h.lost && proof.at() - Math.max(h.lastSeen, proof.since()) > 3 * window) {
                lose(e.getKey(), h, now, proof);
            }
        }
    }

    private void lose(String host, HostState h, long now, InputProgress.ReadThrough proof) {
        List<KeyValue<String, RowState>> open = new ArrayList<>();
        for (KeyValue<String, RowState> kv : rows.ofHost(host)) {
            if (kv.value.isOpen()) open.add(kv);
        }
        Instant at = Instant.ofEpochMilli(now);
        for (KeyValue<String, RowState> kv : open) {
            changes.close(kv.key, kv.value, CloseReason.HOST_LOST, at, now, now);
        }
        h.lost = true;
        lost++;
        metrics.hostsLostNow.incrementAndGet();
        metrics.hostLost();
        persist(host, h);
        log.warn("host {} silent for {} ms (more than 3 windows) while its partition was read through: closed its {} open rows (HOST_LOST)",
                host, proof.at() - Math.max(h.lastSeen, proof.since()), open.size());
    }

    /**
     * A host's records must reach the task of its partition (docs/design.md, "Topics", partitioning): its rows go
     * to that partition of {@code connections}, which this task reads back at restart. Checked once
     * per host per task; a mis-partitioned record is dead-lettered (counted), never half-applied.
     */
    private void checkPartition(String host) {
        int n = settings.inputPartitions();
        if (n <= 0) return;
        int want = HostPartitioner.partitionFor(host, n);
        if (want != context.taskId().partition()) {
            metrics.ignored("wrong-partition");
            throw new InputRejectedException(InputRejectedException.WRONG_PARTITION, "a record of host " + host + " arrived in partition "
                    + context.taskId().partition() + " but the host's partition is " + want + " of " + n
                    + ": producers must use dev.conntrail.schemas.HostPartitioner");
        }
    }

    /** Takes this task's hosts out of the gauges and forgets them. */
    void forget() {
        metrics.hostsSeen.addAndGet(-hosts.size());
        metrics.hostsLostNow.addAndGet(-lost);
        hosts.clear();
        persisted.clear();
        lost = 0;
    }
}
