package dev.conntrail.topology;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.NatInfo;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.HostPartitioner;
import dev.conntrail.schemas.Keys;
import dev.conntrail.topology.errors.InputRejectedException;
import dev.conntrail.topology.errors.SinkLimit;
import dev.conntrail.topology.liveness.InputProgress;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.restore.RowsRestorer;
import dev.conntrail.topology.state.HostState;
import dev.conntrail.topology.state.RowState;
import dev.conntrail.topology.state.RowStateHeader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection table of one task (one partition of {@code tcp-events} and the same partition of
 * {@code conntrack-nat}: the same hosts; docs/design.md, "Topics", partitioning). Reads both
 * inputs, keeps rows ({@link RowTable}: on the heap with {@code connections} as their changelog by
 * default), NAT entries and hosts in state stores, and writes every row change to
 * {@code connections}, its bookkeeping in a header. Rules 4 (windows), 5 (convergence) and 7 (NAT)
 * of docs/design.md; the choices the contract leaves open are in docs/topology.md.
 *
 * <p>Two indexes live only in memory and are rebuilt from the rows in {@link #init}: the
 * tombstone schedule and the per-task row counts. Both are re-checked against the row before
 * they act, so a stale entry is harmless.
 */
final class ConnectionTableProcessor implements Processor<String, Object, String, Connection> {
    private static final Logger log = LoggerFactory.getLogger(ConnectionTableProcessor.class);
    private static final StringSerializer PREFIX = new StringSerializer();
    /** Per punctuation on due tombstones: 15 ms (of 100) kept the CLOSE -> CLOSED p99 at 361-409 ms where 50 ms gave 454-553 (BENCHMARKS.md). */
    private static final long EXPIRY_SLICE_NANOS = 15_000_000L;
    /** ... unless they are over a second late: then 50 ms, so tombstones keep up with any close rate the input can carry. */
    private static final long EXPIRY_CATCH_UP_SLICE_NANOS = 50_000_000L;
    private static final long EXPIRY_LATE_MS = 1_000;

    private final TopologySettings settings;
    private final TopologyMetrics metrics;
    private final RowsRestorer restorer;
    private final Deserializer<Connection> connections;
    private final Serializer<Connection> connectionWriter;
    private final SinkLimit sinkLimit;
    private final InputProgress progress;
    private final long window;
    /** True while a punctuation runs: a row change then has no input record to dead-letter. */
    private boolean inPunctuation;

    private ProcessorContext<String, Connection> context;
    private RowTable rows;
    private KeyValueStore<String, NatEntry> nat;
    private KeyValueStore<String, HostState> hostStore;

    private final Map<String, HostState> hosts = new HashMap<>();
    private final Map<String, HostState> persistedHosts = new HashMap<>();
    /** Row keys by tombstone time; a key may appear twice (harmless: each is checked against the row before it acts). */
    private final TreeMap<Long, List<String>> tombstones = new TreeMap<>();
    /** The list of the last scheduled tombstone time: a window's closes all go to one boundary (profiled: the tree walk was 2.5 %). */
    private long lastDueAt;
    private List<String> lastDue;
    /** How many NAT entries each tuple prefix (O|... and R|...) has, so sockets without NAT skip the store scan. */
    private final Map<String, Integer> natTuples = new HashMap<>();
    private long openRows;
    private long closedRows;
    private long lostHosts;
    private long lastPunctuation;
    /** Wall-clock ms of the last warning about a host clock ahead of ours (at most one a window per task). */
    private long lastSkewWarning = Long.MIN_VALUE;

    ConnectionTableProcessor(TopologySettings settings, TopologyMetrics metrics, RowsRestorer restorer, Deserializer<Connection> connections,
            InputProgress progress) {
        this(settings, metrics, restorer, connections, progress, null, SinkLimit.unlimited());
    }

    /**
     * @param progress         how far the task is proven to have read its input (design rule 5)
     * @param connectionWriter the sink's value serializer, to measure a row change when the sink's
     *                         record limit is below what a row may take ({@link SinkLimit#mustMeasure})
     */
    ConnectionTableProcessor(TopologySettings settings, TopologyMetrics metrics, RowsRestorer restorer, Deserializer<Connection> connections,
            InputProgress progress, Serializer<Connection> connectionWriter, SinkLimit sinkLimit) {
        this.settings = settings;
        this.metrics = metrics;
        this.restorer = restorer;
        this.connections = connections;
        this.connectionWriter = connectionWriter;
        this.sinkLimit = sinkLimit;
        this.progress = progress;
        this.window = settings.window().toMillis();
    }

    @Override
    public void init(ProcessorContext<String, Connection> context) {
        this.context = context;
        forgetCounts();
        // rows first: a test's stand-in restorer refills the other stores, as Streams does from their changelogs
        this.rows = settings.persistentStores() ? new StoreRowTable(context.getStateStore(ConnectionTopology.ROWS_STORE))
                : HeapRowTable.restore(context, restorer, settings.topics().connections(), connections,
                        context.getStateStore(ConnectionTopology.ROW_MARKS_STORE), settings, metrics);
        this.nat = context.getStateStore(ConnectionTopology.NAT_STORE);
        this.hostStore = context.getStateStore(ConnectionTopology.HOSTS_STORE);
        hosts.clear();
        persistedHosts.clear();
        tombstones.clear();
        lastDue = null;
        natTuples.clear();
        try (KeyValueIterator<String, NatEntry> all = nat.all()) {
            while (all.hasNext()) {
                String k = all.next().key;
                natTuples.merge(natTuple(k), 1, Integer::sum);
            }
        }
        rows.forEach((key, row) -> {
            if (row.isOpen()) {
                openRows++;
            } else {
                closedRows++;
                schedule(row.tombstoneAt, key);
            }
        });
        try (KeyValueIterator<String, HostState> all = hostStore.all()) {
            while (all.hasNext()) {
                KeyValue<String, HostState> kv = all.next();
                hosts.put(kv.key, kv.value);
                persistedHosts.put(kv.key, kv.value.copy());
                if (kv.value.lost) lostHosts++;
            }
        }
        metrics.openRows.addAndGet(openRows);
        metrics.closedRows.addAndGet(closedRows);
        metrics.hostsSeen.addAndGet(hosts.size());
        metrics.hostsLostNow.addAndGet(lostHosts);
        long now = context.currentSystemTimeMs();
        lastPunctuation = now;
        context.schedule(settings.punctuateEvery(), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
        log.debug("task {}: {} open rows, {} closed rows, {} hosts restored", context.taskId(), openRows, closedRows, hosts.size());
    }

    @Override
    public void process(Record<String, Object> record) {
        long now = context.currentSystemTimeMs();
        metrics.processed.incrementAndGet();
        String topic = context.recordMetadata().map(RecordMetadata::topic).orElse(settings.topics().events());
        // docs/design.md rule 8: keyed, of the topic's type, within the bounds, of the key's host; else dead-lettered with the reason
        if (topic.equals(settings.topics().nat())) {
            onNatEntry(record.key(), InputDoor.nat(topic, record.key(), record.value()), record.timestamp(), now);
        } else {
            onEvent(record.key(), InputDoor.event(topic, record.key(), record.value()), record.timestamp(), now);
        }
    }

    // ---- tcp-events -------------------------------------------------------------------------

    private void onEvent(String key, TcpEvent e, long ts, long now) {
        String host = e.getHost(); // checked at the door
        HostState h = seen(host, now);
        switch (e.getType()) {
            case HEARTBEAT -> rememberRootNetns(h, e);
            case SNAPSHOT_END -> {
                rememberRootNetns(h, e);
                snapshotEnded(host, h, e, ts, now);
            }
            case CONNECT, ACCEPT -> opened(rowKey(key, e), e, ts, now);
            case SNAPSHOT -> {
                snapshotStarted(h, e);
                snapshotted(rowKey(key, e), e, ts, now);
            }
            case CLOSE -> closedByEvent(rowKey(key, e), e, ts, now);
            default -> metrics.ignored("unknown-event-type");
        }
        persist(host, h);
    }

    /** CONNECT / ACCEPT: a new row, a refresh of an open one, or a new socket that reuses a closed id. */
    private void opened(String rk, TcpEvent e, long ts, long now) {
        RowState s = rows.get(rk);
        Direction direction = e.getType() == EventType.CONNECT ? Direction.OUTGOING : Direction.INCOMING;
        Instant at = millis(e.getTimestamp());
        if (s != null && !s.isOpen() && s.row.getCloseReason() == CloseReason.CLOSED && at.isBefore(s.row.getClosedAt())) {
            metrics.ignored("open-older-than-close");
            return;
        }
        if (s == null || !s.isOpen()) {
            // a CLOSED row here is a new socket with the same id (agents without cookies) or
            // fresh evidence after an inferred close: a new lifecycle either way
            RowState fresh = new RowState(newRow(e, direction, at, now));
            fresh.epoch = e.getAgentEpoch();
            fresh.seq = e.getSeq();
            boolean nat = attachBestNat(rk, fresh);
            if (!store(rk, fresh, ts)) return;
            if (nat) metrics.natMatched();
            count(1, s == null ? 0 : -1);
            metrics.opened();
            return;
        }
        Connection before = s.row;
        Connection after = copyOf(before);
        fillUnknowns(after, e, direction);
        if (after.getOpenedAt() == null) after.setOpenedAt(at);
        s.epoch = e.getAgentEpoch();
        s.seq = e.getSeq();
        changeOrRemember(rk, s, before, after, e, ts, now);
    }

    /** SNAPSHOT: confirms an open row, creates one, never reopens a socket closed by a CLOSE. */
    private void snapshotted(String rk, TcpEvent e, long ts, long now) {
        RowState s = rows.get(rk);
        if (s != null && !s.isOpen() && s.row.getCloseReason() == CloseReason.CLOSED) {
            metrics.ignored("snapshot-of-closed-socket");
            return;
        }
        if (s == null || !s.isOpen()) {
            Instant openedAt = s == null ? null : s.row.getOpenedAt();
            RowState fresh = new RowState(newRow(e, e.getDirection(), openedAt, now));
            fresh.confirmedBy = e.getSnapshotId();
            fresh.epoch = e.getAgentEpoch();
            fresh.seq = e.getSeq();
            boolean nat = attachBestNat(rk, fresh);
            if (!store(rk, fresh, ts)) return;
            if (nat) metrics.natMatched();
            count(1, s == null ? 0 : -1);
            metrics.opened();
            return;
        }
        Connection before = s.row;
        Connection after = copyOf(before);
        fillUnknowns(after, e, e.getDirection());
        s.confirmedBy = e.getSnapshotId();
        s.epoch = e.getAgentEpoch();
        s.seq = e.getSeq();
        changeOrRemember(rk, s, before, after, e, ts, now);
    }

    /** CLOSE: closes the row, creates a CLOSED one when there is none, corrects an inferred close. */
    private void closedByEvent(String rk, TcpEvent e, long ts, long now) {
        RowState s = rows.get(rk);
        Instant at = millis(e.getTimestamp());
        if (s == null) {
            RowState fresh = new RowState(newRow(e, e.getDirection(), null, now));
            fresh.epoch = e.getAgentEpoch();
            fresh.seq = e.getSeq();
            boolean nat = attachBestNat(rk, fresh);
            if (!close(rk, fresh, CloseReason.CLOSED, at, ts, now)) return;
            if (nat) metrics.natMatched();
            count(1, 0); // close() moved it from the open count to the closed one
            return;
        }
        if (s.isOpen()) {
            fillUnknowns(s.row, e, null);
            s.row.setSource(e.getSource());
            close(rk, s, CloseReason.CLOSED, at, ts, now);
        } else if (s.row.getCloseReason() != CloseReason.CLOSED) {
            // the real close of a row closed by inference: its time is better; its tombstone stays due
            s.row.setCloseReason(CloseReason.CLOSED);
            s.row.setClosedAt(at);
            s.row.setUpdatedAt(Instant.ofEpochMilli(now));
            store(rk, s, ts);
        }
        // else: a duplicate CLOSE changes nothing
    }

    private void snapshotStarted(HostState h, TcpEvent e) {
        if (!Objects.equals(e.getSnapshotId(), h.snapshotId) || h.snapshotEpoch != e.getAgentEpoch()) {
            h.snapshotId = e.getSnapshotId();
            h.snapshotEpoch = e.getAgentEpoch();
            h.snapshotStartSeq = e.getSeq();
        }
    }

    /**
     * Design rule 5 (convergence): close the host's OPEN rows the snapshot did not confirm. A row opened or refreshed by
     * a record of the same agent epoch published after the snapshot's first record is spared: the
     * producer holds events during a snapshot (design rule 1), so such a row can only come from a producer
     * that does not, and the snapshot could not have seen it.
     */
    private void snapshotEnded(String host, HostState h, TcpEvent e, long ts, long now) {
        String id = e.getSnapshotId();
        if (id == null) {
            throw new InputRejectedException(InputRejectedException.MISSING_FIELD, "SNAPSHOT_END without a snapshotId from host " + host);
        }
        long startSeq = id.equals(h.snapshotId) && h.snapshotEpoch == e.getAgentEpoch() ? h.snapshotStartSeq : e.getSeq();
        List<KeyValue<String, RowState>> unconfirmed = new ArrayList<>();
        for (KeyValue<String, RowState> kv : rows.ofHost(host)) {
            RowState s = kv.value;
            boolean newerThanSnapshot = s.epoch == e.getAgentEpoch() && s.seq > startSeq;
            if (s.isOpen() && !id.equals(s.confirmedBy) && !newerThanSnapshot) {
                unconfirmed.add(kv);
            }
        }
        Instant at = millis(e.getTimestamp());
        for (KeyValue<String, RowState> kv : unconfirmed) {
            close(kv.key, kv.value, CloseReason.NOT_IN_SNAPSHOT, at, ts, now);
        }
        h.snapshotId = null;
        h.snapshotEpoch = RowState.NONE;
        h.snapshotStartSeq = RowState.NONE;
        if (!unconfirmed.isEmpty()) {
            log.info("host {}: snapshot {} closed {} rows it did not confirm", host, id, unconfirmed.size());
        }
    }

    // ---- conntrack-nat ----------------------------------------------------------------------

    private void onNatEntry(String natKey, NatEntry entry, long ts, long now) {
        String host = Keys.hostOf(natKey); // checked at the door
        String[] k = natKey.split("\\|", -1);
        int origSport;
        int origDport;
        try {
            if (k.length != 8) throw new NumberFormatException();
            origSport = Integer.parseInt(k[5]);
            origDport = Integer.parseInt(k[7]);
        } catch (NumberFormatException e) {
            throw new InputRejectedException(InputRejectedException.BAD_KEY,
                    "not a NAT key (host|netns|zone|family|origSrc|origSport|origDst|origDport): " + InputDoor.shortened(natKey));
        }
        HostState h = seen(host, now);
        String initiatorKey = RowKeys.INITIATOR + RowKeys.tuple(host, k[4], origSport, k[6], origDport) + natKey;
        NatEntry old = nat.get(initiatorKey);
        if (old != null) {
            deleteNat(responderKey(host, old, natKey));
            deleteNat(initiatorKey);
        }
        if (entry == null) {
            // a tombstone only takes the entry out of the join: rows keep the NAT facts they have
            persist(host, h);
            return;
        }
        putNat(initiatorKey, entry);
        putNat(responderKey(host, entry, natKey), entry);
        long rootNetns = rootNetns(h);
        Set<String> candidates = new LinkedHashSet<>();
        collectKeys(RowKeys.tuple(host, entry.getOrigSrc(), entry.getOrigSport(), entry.getOrigDst(), entry.getOrigDport()), candidates);
        collectKeys(RowKeys.tuple(host, entry.getReplySrc(), entry.getReplySport(), entry.getReplyDst(), entry.getReplyDport()), candidates);
        for (String rk : candidates) {
            RowState s = rows.get(rk);
            if (!s.isOpen() && (s.row.getNat() != null || entry.getTimestamp().toEpochMilli() > s.row.getClosedAt().toEpochMilli() + window)) {
                // a closed row keeps its NAT facts; an entry first seen well after the close is
                // another connection that reuses the tuple
                continue;
            }
            NatChoice best = bestNat(rk, s.row, rootNetns);
            if (best != null && !Objects.equals(best.info(), s.row.getNat())) {
                s.row.setNat(best.info());
                s.row.setUpdatedAt(Instant.ofEpochMilli(now));
                if (store(rk, s, ts)) metrics.natMatched();
            }
        }
        persist(host, h);
    }

    private void putNat(String key, NatEntry entry) {
        nat.put(key, entry);
        natTuples.merge(natTuple(key), 1, Integer::sum);
    }

    private void deleteNat(String key) {
        nat.delete(key);
        natTuples.computeIfPresent(natTuple(key), (k, n) -> n == 1 ? null : n - 1);
    }

    /** {@code O|host|a|p|b|q|} of a nat-entries key: up to its sixth separator (the NAT key follows). */
    private static String natTuple(String natStoreKey) {
        int at = 1; // the separator after the role letter; then host, a, p, b, q
        for (int i = 0; i < 5; i++) {
            at = natStoreKey.indexOf(Keys.SEPARATOR, at + 1);
        }
        return natStoreKey.substring(0, at + 1);
    }

    private static String responderKey(String host, NatEntry n, String natKey) {
        return RowKeys.RESPONDER + RowKeys.tuple(host, n.getReplySrc(), n.getReplySport(), n.getReplyDst(), n.getReplyDport()) + natKey;
    }

    private void collectKeys(String tuplePrefix, Set<String> into) {
        into.addAll(rows.keysOfTuple(tuplePrefix));
    }

    /** True when the row got a NAT entry (counted once the row is stored). */
    private boolean attachBestNat(String rk, RowState s) {
        NatChoice best = bestNat(rk, s.row, rootNetns(hosts.get(s.row.getHost())));
        if (best != null) {
            s.row.setNat(best.info());
            return true;
        }
        return false;
    }

    /** Design rule 7 (NAT): the entries whose original tuple (initiator) or reply tuple (responder) is this socket's. */
    private NatChoice bestNat(String rk, Connection socket, long rootNetns) {
        if (natTuples.isEmpty()) return null; // a task without NAT entries: no key to build
        String tuple = rows.tupleOf(rk, socket);
        NatChoice best = null;
        for (String role : new String[] {RowKeys.INITIATOR, RowKeys.RESPONDER}) {
            String prefix = role + tuple;
            if (!natTuples.containsKey(prefix)) continue;
            try (KeyValueIterator<String, NatEntry> it = nat.prefixScan(prefix, PREFIX)) {
                while (it.hasNext()) {
                    KeyValue<String, NatEntry> kv = it.next();
                    NatChoice c = new NatChoice(kv.value, kv.key.substring(prefix.length()), role.equals(RowKeys.INITIATOR), socket, rootNetns);
                    if (c.betterThan(best)) best = c;
                }
            }
        }
        return best;
    }

    // ---- punctuation: tombstones (design rule 4, windows), lost hosts (design rule 5, convergence)

    private void punctuate(long now) {
        metrics.punctuationLagMs.set(Math.max(0, now - lastPunctuation - settings.punctuateEvery().toMillis()));
        lastPunctuation = now;
        inPunctuation = true;
        try {
            expireDue(now);
            judgeHosts(now);
        } finally {
            inPunctuation = false;
        }
    }

    /**
     * Design rule 5 (convergence): a host is lost when the task's input is proven read through ({@link InputProgress})
     * over more than 3 W after the host's last record, with no record of the host in it. Silence the topology
     * caused itself proves nothing: while the task lags, everything after its position is unknown; while the
     * offsets cannot be read (broker unreachable) or before they were first read (a restart), the proof breaks and
     * silence is counted again from where it resumes. Event times play no part: a host clock ahead or behind
     * cannot make a task look caught up or behind.
     */
    private void judgeHosts(long now) {
        if (hosts.isEmpty()) return;
        InputProgress.ReadThrough proof = progress.readThrough(context.taskId().partition(), now);
        if (proof == null) return;
        for (Map.Entry<String, HostState> e : hosts.entrySet()) {
            HostState h = e.getValue();
            if (!h.lost && proof.at() - Math.max(h.lastSeen, proof.since()) > 3 * window) {
                hostLost(e.getKey(), h, now, proof);
            }
        }
    }

    /**
     * Design rule 4 (windows). Windows are aligned, so a whole window's closes fall due at once; the tasks of a
     * stream thread spend at most {@link #EXPIRY_SLICE_NANOS} of each punctuation interval on them
     * together ({@link ExpiryBudget}; {@link #EXPIRY_CATCH_UP_SLICE_NANOS} once the oldest is a
     * second late) and leave the rest to the next interval, so input keeps flowing and its
     * transactions stay small. The tombstone-lateness metric shows any backlog.
     */
    private void expireDue(long now) {
        if (tombstones.isEmpty() || tombstones.firstKey() > now) return;
        long slice = now - tombstones.firstKey() > EXPIRY_LATE_MS ? EXPIRY_CATCH_UP_SLICE_NANOS : EXPIRY_SLICE_NANOS;
        ExpiryBudget budget = ExpiryBudget.ofThisThread();
        long left = budget.remaining(now, settings.punctuateEvery().toMillis(), slice);
        if (left <= 0) return;
        long start = System.nanoTime();
        try {
            expireDue(now, start + left);
        } finally {
            budget.spend(System.nanoTime() - start);
        }
    }

    private void expireDue(long now, long stopAt) {
        int done = 0;
        while (!tombstones.isEmpty() && tombstones.firstKey() <= now) {
            Map.Entry<Long, List<String>> due = tombstones.firstEntry();
            List<String> keys = due.getValue();
            while (!keys.isEmpty()) {
                String rk = keys.remove(keys.size() - 1);
                long tombstoneAt = rows.deleteIfDue(rk, now);
                if (tombstoneAt != RowState.NONE) {
                    count(0, -1);
                    metrics.expired(now - tombstoneAt);
                    context.forward(new Record<>(rows.idOf(rk), null, now));
                }
                if ((++done & 255) == 0 && System.nanoTime() > stopAt) return;
            }
            tombstones.remove(due.getKey());
            if (keys == lastDue) lastDue = null;
        }
    }

    private void hostLost(String host, HostState h, long now, InputProgress.ReadThrough proof) {
        List<KeyValue<String, RowState>> open = new ArrayList<>();
        for (KeyValue<String, RowState> kv : rows.ofHost(host)) {
            if (kv.value.isOpen()) open.add(kv);
        }
        Instant at = Instant.ofEpochMilli(now);
        for (KeyValue<String, RowState> kv : open) {
            close(kv.key, kv.value, CloseReason.HOST_LOST, at, now, now);
        }
        h.lost = true;
        lostHosts++;
        metrics.hostsLostNow.incrementAndGet();
        metrics.hostLost();
        persist(host, h);
        log.warn("host {} silent for {} ms (more than 3 windows) while its partition was read through: closed its {} open rows (HOST_LOST)",
                host, proof.at() - Math.max(h.lastSeen, proof.since()), open.size());
    }

    // ---- row bookkeeping --------------------------------------------------------------------

    /** Closes the row; false when the closed row could not be stored (too large for the sink, in a punctuation: dropped). */
    private boolean close(String rk, RowState s, CloseReason reason, Instant closedAt, long ts, long now) {
        s.row.setState(ConnectionState.CLOSED);
        s.row.setCloseReason(reason);
        s.row.setClosedAt(closedAt);
        s.row.setUpdatedAt(Instant.ofEpochMilli(now));
        s.closeAppliedAt = now;
        noteClockAhead(s.row.getHost(), closedAt.toEpochMilli(), now);
        s.tombstoneAt = settings.tombstoneAt(closedAt.toEpochMilli(), now);
        if (!store(rk, s, ts)) return false;
        schedule(s.tombstoneAt, rk);
        count(-1, 1);
        metrics.closed(reason);
        return true;
    }

    /**
     * Design rule 4 (windows): a close time further ahead of the topology's clock than the tolerance is a host clock
     * ahead of ours; the window counts from the tolerance (the row keeps the host's time). Counted, and said at
     * most once a window.
     */
    private void noteClockAhead(String host, long eventMs, long now) {
        if (settings.windowTime(eventMs, now) == eventMs) return;
        metrics.clockAhead();
        if (lastSkewWarning == Long.MIN_VALUE || now - lastSkewWarning >= window) {
            lastSkewWarning = now;
            log.warn("host {}: a close time {} ms ahead of the topology's clock (more than the {} ms tolerated): its tombstone counts "
                    + "from the topology's clock; check the host's clock (NTP)", host, eventMs - now, settings.clockTolerance().toMillis());
        }
    }

    /** A refresh: publish only if a field other than updatedAt changed; a pure duplicate only updates the bookkeeping. */
    private void changeOrRemember(String rk, RowState s, Connection before, Connection after, TcpEvent e, long ts, long now) {
        if (after.equals(before)) {
            rows.remember(rk, s);
            return;
        }
        after.setSource(e.getSource());
        after.setUpdatedAt(Instant.ofEpochMilli(now));
        s.row = after;
        store(rk, s, ts);
    }

    /**
     * A row change: the row, and its bookkeeping in a header, so {@code connections} alone rebuilds the row.
     * Nothing changes when the row change does not fit the sink ({@link SinkLimit}, measured only when
     * the limit is below what a row may take): for an input record this throws (the input is
     * dead-lettered, {@code row-too-large}); in a punctuation the row is dropped (a tombstone, counted)
     * and this returns false.
     */
    private boolean store(String rk, RowState s, long ts) {
        Headers headers = new RecordHeaders().add(RowStateHeader.NAME, RowStateHeader.encode(s));
        String id = rows.idOf(rk);
        if (sinkLimit.mustMeasure() && connectionWriter != null) {
            int size = recordSize(id, s.row, headers);
            if (size > sinkLimit.maxRecordBytes()) {
                String why = "the row change of " + InputDoor.shortened(id) + " is " + size + " bytes, more than the " + sinkLimit.maxRecordBytes()
                        + " the sink accepts";
                if (!inPunctuation) {
                    throw new InputRejectedException(InputRejectedException.ROW_TOO_LARGE, why);
                }
                dropTooLarge(rk, id, why);
                return false;
            }
        }
        rows.put(rk, s);
        context.forward(new Record<>(id, s.row, ts, headers));
        return true;
    }

    /** Key, value (as the sink writes it) and headers of a row change. */
    private int recordSize(String id, Connection row, Headers headers) {
        byte[] value = connectionWriter.serialize(settings.topics().connections(), row);
        int n = id.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + (value == null ? 0 : value.length);
        for (Header h : headers) n += h.key().length() + (h.value() == null ? 0 : h.value().length);
        return n;
    }

    /** A change no input record made (a punctuation's close) does not fit the sink: the row goes (tombstone), counted. */
    private void dropTooLarge(String rk, String id, String why) {
        RowState was = rows.get(rk);
        if (was != null) {
            rows.delete(rk);
            count(was.isOpen() ? -1 : 0, was.isOpen() ? 0 : -1);
            context.forward(new Record<>(id, null, context.currentSystemTimeMs()));
        }
        metrics.deadLettered("processing", InputRejectedException.ROW_TOO_LARGE);
        log.error("{}: the row is deleted (a tombstone written) instead", why);
    }

    /** This task's row counts and the instance-wide gauges move together. */
    private void count(int open, int closed) {
        openRows += open;
        closedRows += closed;
        metrics.openRows.addAndGet(open);
        metrics.closedRows.addAndGet(closed);
    }

    private void schedule(long at, String rk) {
        if (lastDue == null || at != lastDueAt) {
            lastDue = tombstones.computeIfAbsent(at, t -> new ArrayList<>());
            lastDueAt = at;
        }
        lastDue.add(rk);
    }

    /** The all-fields constructor, not the builder: the builder validates and copies every field (profiled at ~5 % of this processor). */
    private static Connection newRow(TcpEvent e, Direction direction, Instant openedAt, long now) {
        return new Connection(e.getHost(), e.getNetns(), e.getFamily(), e.getLaddr(), e.getLport(), e.getRaddr(), e.getRport(), e.getCookie(),
                direction, e.getPid(), e.getComm(), e.getUid(), e.getCgroupId(), ConnectionState.OPEN, null, openedAt, null,
                Instant.ofEpochMilli(now), e.getSource(), null);
    }

    /** A shallow copy to change and compare with the original (its fields are immutable values; NatInfo is replaced, never changed). */
    private static Connection copyOf(Connection c) {
        return new Connection(c.getHost(), c.getNetns(), c.getFamily(), c.getLaddr(), c.getLport(), c.getRaddr(), c.getRport(), c.getCookie(),
                c.getDirection(), c.getPid(), c.getComm(), c.getUid(), c.getCgroupId(), c.getState(), c.getCloseReason(), c.getOpenedAt(),
                c.getClosedAt(), c.getUpdatedAt(), c.getSource(), c.getNat());
    }

    /** Facts a later record may add but never overwrite: CLOSE carries no pid, a SNAPSHOT may name the owner. */
    private static void fillUnknowns(Connection row, TcpEvent e, Direction direction) {
        if (row.getPid() == null) row.setPid(e.getPid());
        if (row.getComm() == null) row.setComm(e.getComm());
        if (row.getUid() == null) row.setUid(e.getUid());
        if (row.getCgroupId() == null) row.setCgroupId(e.getCgroupId());
        if (row.getFamily() == null) row.setFamily(e.getFamily());
        if ((row.getDirection() == null || row.getDirection() == Direction.UNKNOWN) && direction != null) row.setDirection(direction);
    }

    private String rowKey(String key, TcpEvent e) {
        if (e.getLaddr() == null || e.getLport() == null || e.getRaddr() == null || e.getRport() == null) {
            throw new InputRejectedException(InputRejectedException.MISSING_FIELD, e.getType() + " without its full tuple from host "
                    + e.getHost() + ": " + key);
        }
        String host = e.getHost();
        if (!key.startsWith(host) || key.length() <= host.length() || key.charAt(host.length()) != Keys.SEPARATOR) {
            throw new InputRejectedException(InputRejectedException.BAD_KEY, "key " + key + " is not a connection id of host " + host);
        }
        return rows.keyOf(key, host, e.getLaddr(), e.getLport(), e.getRaddr(), e.getRport());
    }

    private HostState seen(String host, long now) {
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
            lostHosts--;
            metrics.hostsLostNow.decrementAndGet();
            log.info("host {} is back", host);
        }
        return h;
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
            throw new InputRejectedException(InputRejectedException.WRONG_PARTITION, "a record of host " + host + " arrived in partition " + context.taskId().partition()
                    + " but the host's partition is " + want + " of " + n + ": producers must use dev.conntrail.schemas.HostPartitioner");
        }
    }

    private static void rememberRootNetns(HostState h, TcpEvent e) {
        if (e.getNetns() != null) h.rootNetns = e.getNetns();
    }

    private long rootNetns(HostState h) {
        return h == null || h.rootNetns == RowState.NONE ? settings.defaultRootNetns() : h.rootNetns;
    }

    /** Host state is written when something but liveness changed, and liveness at most twice a window. */
    private void persist(String host, HostState h) {
        HostState p = persistedHosts.get(host);
        if (p == null || !h.sameExceptLastSeen(p) || h.lastSeen - p.lastSeen >= window / 2) {
            HostState copy = h.copy();
            hostStore.put(host, copy);
            persistedHosts.put(host, copy);
        }
    }

    private static Instant millis(Instant t) {
        return Instant.ofEpochMilli(t.toEpochMilli());
    }

    private void forgetCounts() {
        metrics.openRows.addAndGet(-openRows);
        metrics.closedRows.addAndGet(-closedRows);
        metrics.hostsSeen.addAndGet(-hosts.size());
        metrics.hostsLostNow.addAndGet(-lostHosts);
        openRows = 0;
        closedRows = 0;
        lostHosts = 0;
    }

    @Override
    public void close() {
        forgetCounts();
        hosts.clear();
    }
}
