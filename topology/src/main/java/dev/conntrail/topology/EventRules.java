package dev.conntrail.topology;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.Keys;
import dev.conntrail.topology.errors.InputRejectedException;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.rows.RowTable;
import dev.conntrail.topology.state.HostState;
import dev.conntrail.topology.state.RowState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.streams.KeyValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each {@code tcp-events} record does to the rows: CONNECT / ACCEPT open, CLOSE closes, SNAPSHOT
 * confirms and SNAPSHOT_END closes what a snapshot did not confirm (design rule 5, convergence);
 * HEARTBEAT only keeps its host alive ({@link HostLiveness}).
 */
final class EventRules {
    private static final Logger log = LoggerFactory.getLogger(EventRules.class);

    private final RowTable rows;
    private final RowChanges changes;
    private final RowCounts counts;
    private final HostLiveness hosts;
    private final NatJoin nat;
    private final TopologyMetrics metrics;

    EventRules(RowTable rows, RowChanges changes, RowCounts counts, HostLiveness hosts, NatJoin nat, TopologyMetrics metrics) {
        this.rows = rows;
        this.changes = changes;
        this.counts = counts;
        this.hosts = hosts;
        this.nat = nat;
        this.metrics = metrics;
    }

    void onEvent(String key, TcpEvent e, long ts, long now) {
        String host = e.getHost(); // checked at the door
        HostState h = hosts.seen(host, now);
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
        hosts.persist(host, h);
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
            storeOpened(rk, freshRow(rk, e, direction, at, now), s, ts);
            return;
        }
        Connection before = s.row;
        Connection after = copyOf(before);
        fillUnknowns(after, e, direction);
        if (after.getOpenedAt() == null) after.setOpenedAt(at);
        s.epoch = e.getAgentEpoch();
        s.seq = e.getSeq();
        changes.changeOrRemember(rk, s, before, after, e.getSource(), ts, now);
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
            RowState fresh = freshRow(rk, e, e.getDirection(), openedAt, now);
            fresh.confirmedBy = e.getSnapshotId();
            storeOpened(rk, fresh, s, ts);
            return;
        }
        Connection before = s.row;
        Connection after = copyOf(before);
        fillUnknowns(after, e, e.getDirection());
        takeCounters(after, e);
        s.confirmedBy = e.getSnapshotId();
        s.epoch = e.getAgentEpoch();
        s.seq = e.getSeq();
        changes.changeOrRemember(rk, s, before, after, e.getSource(), ts, now);
    }

    /** CLOSE: closes the row, creates a CLOSED one when there is none, corrects an inferred close. */
    private void closedByEvent(String rk, TcpEvent e, long ts, long now) {
        RowState s = rows.get(rk);
        Instant at = millis(e.getTimestamp());
        if (s == null) {
            RowState fresh = freshRow(rk, e, e.getDirection(), null, now);
            if (changes.storeArrivedClosed(rk, fresh, at, ts, now) && fresh.row.getNat() != null) metrics.natMatched();
            return;
        }
        if (s.isOpen()) {
            fillUnknowns(s.row, e, null);
            takeCounters(s.row, e);
            s.row.setSource(e.getSource());
            changes.close(rk, s, CloseReason.CLOSED, at, ts, now);
        } else if (s.row.getCloseReason() != CloseReason.CLOSED) {
            // the real close of a row closed by inference: its time and counters are better; its tombstone stays due
            s.row.setCloseReason(CloseReason.CLOSED);
            s.row.setClosedAt(at);
            takeCounters(s.row, e);
            s.row.setUpdatedAt(Instant.ofEpochMilli(now));
            changes.store(rk, s, ts);
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
            changes.close(kv.key, kv.value, CloseReason.NOT_IN_SNAPSHOT, at, ts, now);
        }
        h.snapshotId = null;
        h.snapshotEpoch = RowState.NONE;
        h.snapshotStartSeq = RowState.NONE;
        if (!unconfirmed.isEmpty()) {
            log.info("host {}: snapshot {} closed {} rows it did not confirm", host, id, unconfirmed.size());
        }
    }

    /** A new lifecycle of a socket: the row as the event tells it, the agent's epoch and seq, and the best NAT entry of its tuple. */
    private RowState freshRow(String rk, TcpEvent e, Direction direction, Instant openedAt, long now) {
        RowState fresh = new RowState(newRow(e, direction, openedAt, now));
        fresh.epoch = e.getAgentEpoch();
        fresh.seq = e.getSeq();
        nat.attachBest(rk, fresh);
        return fresh;
    }

    /** Stores a fresh open row in place of none ({@code was} null) or of a closed row. */
    private void storeOpened(String rk, RowState fresh, RowState was, long ts) {
        if (!changes.store(rk, fresh, ts)) return;
        if (fresh.row.getNat() != null) metrics.natMatched();
        if (was == null) counts.opened();
        else counts.reopened();
        metrics.opened();
    }

    /** The all-fields constructor, not the builder: the builder validates and copies every field (profiled at ~5 % of this processor). */
    private static Connection newRow(TcpEvent e, Direction direction, Instant openedAt, long now) {
        return new Connection(e.getHost(), e.getNetns(), e.getFamily(), e.getLaddr(), e.getLport(), e.getRaddr(), e.getRport(), e.getCookie(),
                direction, e.getPid(), e.getComm(), e.getUid(), e.getCgroupId(), ConnectionState.OPEN, null, openedAt, null,
                Instant.ofEpochMilli(now), e.getSource(), null, e.getContainer(), e.getCounters());
    }

    /** A shallow copy to change and compare with the original (its fields are immutable values; NatInfo is replaced, never changed). */
    private static Connection copyOf(Connection c) {
        return new Connection(c.getHost(), c.getNetns(), c.getFamily(), c.getLaddr(), c.getLport(), c.getRaddr(), c.getRport(), c.getCookie(),
                c.getDirection(), c.getPid(), c.getComm(), c.getUid(), c.getCgroupId(), c.getState(), c.getCloseReason(), c.getOpenedAt(),
                c.getClosedAt(), c.getUpdatedAt(), c.getSource(), c.getNat(), c.getContainer(), c.getCounters());
    }

    /** Counters only grow: a record's are the newest the row can get (a CLOSE's are final); a record without keeps the row's. */
    private static void takeCounters(Connection row, TcpEvent e) {
        if (e.getCounters() != null) row.setCounters(e.getCounters());
    }

    /** Facts a later record may add but never overwrite: CLOSE carries no pid, a SNAPSHOT may name the owner. */
    private static void fillUnknowns(Connection row, TcpEvent e, Direction direction) {
        if (row.getPid() == null) row.setPid(e.getPid());
        if (row.getComm() == null) row.setComm(e.getComm());
        if (row.getUid() == null) row.setUid(e.getUid());
        if (row.getCgroupId() == null) row.setCgroupId(e.getCgroupId());
        if (row.getContainer() == null) row.setContainer(e.getContainer());
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

    private static void rememberRootNetns(HostState h, TcpEvent e) {
        if (e.getNetns() != null) h.rootNetns = e.getNetns();
    }

    private static Instant millis(Instant t) {
        return Instant.ofEpochMilli(t.toEpochMilli());
    }
}
