package dev.conntrail.topology.rows;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatInfo;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpCounters;
import dev.conntrail.topology.state.RowState;
import java.time.Instant;

/**
 * One row as {@link HeapRowTable} keeps it between records: the {@link Connection}'s fields as
 * primitives and shared strings, plus the {@link RowState} bookkeeping, in one object. Rows live a
 * window or more, so every one of them is copied by the young collections and promoted; as Avro
 * objects (a {@code Connection} with its boxed numbers, {@code Instant}s and its own copies of the
 * host, address and command strings) a row was ~22 objects and ~0.9 KB, and the garbage collector's
 * CPU was the largest difference between the topology and a pass-through (BENCHMARKS.md,
 * "Topology"). Here a row is one object of ~180 bytes plus its key (and its counters, once read). {@link #expand} makes the Avro
 * form again for the few records that touch the row.
 *
 * <p>It also links the rows of one host into a list ({@link HeapRowTable#ofHost}), so the per-host
 * index costs no extra object per row.
 */
final class CompactRow {
    // bits of `present`: which nullable Connection fields are set
    private static final int NETNS = 1, LPORT = 1 << 1, RPORT = 1 << 2, COOKIE = 1 << 3, PID = 1 << 4, UID = 1 << 5,
            CGROUP = 1 << 6, OPENED = 1 << 7, CLOSED = 1 << 8;

    final String key;
    CompactRow prevOfHost;
    CompactRow nextOfHost;

    private String host;
    private String laddr;
    private String raddr;
    private String comm;
    private String container;
    private Family family;
    private Direction direction;
    private ConnectionState state;
    private CloseReason closeReason;
    private Source source;
    private NatInfo nat;
    private TcpCounters counters;
    private long netns;
    private long cookie;
    private long uid;
    private long cgroupId;
    private long openedAt;
    private long closedAt;
    private long updatedAt;
    private int lport;
    private int rport;
    private int pid;
    private int present;

    // RowState's bookkeeping
    private String confirmedBy;
    private long epoch;
    private long seq;
    private long closeAppliedAt;
    private long tombstoneAt;
    private boolean marked;

    CompactRow(String key) {
        this.key = key;
    }

    /** Takes the row and its bookkeeping; strings go through {@code shared} so equal ones are kept once. */
    void set(RowState s, SharedStrings shared) {
        Connection c = s.row;
        host = share(host, c.getHost(), shared);
        laddr = share(laddr, c.getLaddr(), shared);
        raddr = share(raddr, c.getRaddr(), shared);
        comm = share(comm, c.getComm(), shared);
        container = share(container, c.getContainer(), shared);
        family = c.getFamily();
        direction = c.getDirection();
        state = c.getState();
        closeReason = c.getCloseReason();
        source = c.getSource();
        nat = c.getNat();
        counters = c.getCounters();
        updatedAt = millisOf(c.getUpdatedAt());
        int p = 0;
        if (c.getNetns() != null) { netns = c.getNetns(); p |= NETNS; }
        if (c.getLport() != null) { lport = c.getLport(); p |= LPORT; }
        if (c.getRport() != null) { rport = c.getRport(); p |= RPORT; }
        if (c.getCookie() != null) { cookie = c.getCookie(); p |= COOKIE; }
        if (c.getPid() != null) { pid = c.getPid(); p |= PID; }
        if (c.getUid() != null) { uid = c.getUid(); p |= UID; }
        if (c.getCgroupId() != null) { cgroupId = c.getCgroupId(); p |= CGROUP; }
        if (c.getOpenedAt() != null) { openedAt = millisOf(c.getOpenedAt()); p |= OPENED; }
        if (c.getClosedAt() != null) { closedAt = millisOf(c.getClosedAt()); p |= CLOSED; }
        present = p;
        setBookkeeping(s, shared);
    }

    /** Only the bookkeeping (a duplicate record changed nothing published). */
    void setBookkeeping(RowState s, SharedStrings shared) {
        confirmedBy = share(confirmedBy, s.confirmedBy, shared);
        epoch = s.epoch;
        seq = s.seq;
        closeAppliedAt = s.closeAppliedAt;
        tombstoneAt = s.tombstoneAt;
        marked = s.marked;
    }

    /** A fresh, independent RowState with a fresh Connection: the caller may change both. */
    RowState expand() {
        int p = present;
        Connection c = new Connection(host, (p & NETNS) != 0 ? netns : null, family, laddr, (p & LPORT) != 0 ? lport : null, raddr,
                (p & RPORT) != 0 ? rport : null, (p & COOKIE) != 0 ? cookie : null, direction, (p & PID) != 0 ? pid : null, comm,
                (p & UID) != 0 ? uid : null, (p & CGROUP) != 0 ? cgroupId : null, state, closeReason,
                (p & OPENED) != 0 ? Instant.ofEpochMilli(openedAt) : null, (p & CLOSED) != 0 ? Instant.ofEpochMilli(closedAt) : null,
                Instant.ofEpochMilli(updatedAt), source, nat == null ? null : NatInfo.newBuilder(nat).build(), container,
                counters == null ? null : TcpCounters.newBuilder(counters).build());
        RowState s = new RowState(c);
        s.confirmedBy = confirmedBy;
        s.epoch = epoch;
        s.seq = seq;
        s.closeAppliedAt = closeAppliedAt;
        s.tombstoneAt = tombstoneAt;
        s.marked = marked;
        return s;
    }

    String host() {
        return host;
    }

    /** The row's tuple prefix {@code host|l|lport|r|rport|} (the index design rule 7 (NAT) needs). */
    String tuple() {
        return RowKeys.tuple(host, laddr, (present & LPORT) != 0 ? lport : null, raddr, (present & RPORT) != 0 ? rport : null);
    }

    boolean isOpen() {
        return state == ConnectionState.OPEN;
    }

    long tombstoneAt() {
        return tombstoneAt;
    }

    boolean marked() {
        return marked;
    }

    void unmark() {
        marked = false;
    }

    /** A row written back after {@link #expand} carries the strings it had: kept without a lookup. */
    private static String share(String current, String next, SharedStrings shared) {
        return next == current ? current : shared.of(next);
    }

    /** Timestamps are Avro timestamp-millis: a finer part would not survive {@code connections} either. */
    private static long millisOf(Instant t) {
        return t.toEpochMilli();
    }
}
