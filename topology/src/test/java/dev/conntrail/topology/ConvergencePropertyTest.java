package dev.conntrail.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.Keys;
import dev.conntrail.topology.TableFixture.Sock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random histories of one host, emitted the way a producer really emits them (design rule 1,
 * snapshots hold events: held events released after SNAPSHOT_END; resyncs re-send what is open;
 * restarts change the agent epoch; closes lost in the ring buffer trigger a resync; CLOSE for
 * sockets older than the agent; NAT entries before or after their connection), always converge to
 * the table a plain model of the rules computes, and to the truth: every socket open at the end is
 * OPEN, every closed one CLOSED.
 * The topology itself restarts too (rows rebuilt from what it published, {@link TableFixture#restarted}),
 * also between a snapshot's records and its SNAPSHOT_END.
 */
class ConvergencePropertyTest {
    static final String HOST = "prop-host";
    static final Instant WALL = Instant.parse("2026-11-26T21:00:01Z");

    enum Kind { OPEN, REUSE_TUPLE, CLOSE, LOSE_CLOSE, RESYNC, RESYNC_WHILE_CLOSING, CLOSE_BEFORE_SNAPSHOT, RESTART, NAT, HEARTBEAT,
        TOPOLOGY_RESTART, RESYNC_ACROSS_TOPOLOGY_RESTART }

    record Action(Kind kind, int target) {
    }

    @Provide
    Arbitrary<List<Action>> histories() {
        Arbitrary<Action> action = Combinators.combine(
                Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(5, Arbitraries.just(Kind.OPEN)),
                        net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.REUSE_TUPLE)),
                        net.jqwik.api.Tuple.of(4, Arbitraries.just(Kind.CLOSE)),
                        net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.LOSE_CLOSE)),
                        net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.RESYNC)),
                        net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.RESYNC_WHILE_CLOSING)),
                        net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.CLOSE_BEFORE_SNAPSHOT)),
                        net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.RESTART)),
                        net.jqwik.api.Tuple.of(2, Arbitraries.just(Kind.NAT)),
                        net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.HEARTBEAT)),
                        net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.TOPOLOGY_RESTART)),
                        net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.RESYNC_ACROSS_TOPOLOGY_RESTART))),
                Arbitraries.integers().between(0, 1000)).as(Action::new);
        return action.list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 150)
    void anyProducerHistoryConvergesToTheModelAndToTheTruth(@ForAll("histories") List<Action> history,
            @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 3) int olderThanTheAgent) {
        Producer p = new Producer(new TableFixture(WALL));
        try {
            for (int i = 0; i < olderThanTheAgent; i++) {
                p.world.add(new World(p.newSock(), true)); // open before the agent started: no CONNECT
            }
            p.snapshot(-1, false); // start-up snapshot
            for (Action a : history) {
                p.apply(a);
            }
            if (p.resyncDue) p.snapshot(-1, false);

            TableFixture f = p.f;
            Map<String, Connection> table = f.table();
            // the model
            assertThat(summary(table)).isEqualTo(p.model.summary());
            // the truth
            for (World w : p.world) {
                Connection row = table.get(w.sock.id());
                if (w.open) {
                    assertThat(row).as("open socket %s", w.sock.id()).isNotNull();
                    assertThat(row.getState()).as("open socket %s", w.sock.id()).isEqualTo(ConnectionState.OPEN);
                } else if (row != null) {
                    assertThat(row.getState()).as("closed socket %s, never stuck OPEN", w.sock.id()).isEqualTo(ConnectionState.CLOSED);
                }
            }
            // design rule 4 (windows): two windows later every CLOSED row is gone, every OPEN row stays
            for (int s = 0; s < 21; s++) f.advance(Duration.ofSeconds(1));
            Map<String, Connection> later = f.table();
            assertThat(later.values()).allMatch(c -> c.getState() == ConnectionState.OPEN);
            assertThat(later.keySet()).isEqualTo(keysOpen(table));
        } finally {
            p.f.close();
        }
    }

    static java.util.Set<String> keysOpen(Map<String, Connection> table) {
        java.util.Set<String> open = new java.util.HashSet<>();
        table.forEach((k, v) -> {
            if (v.getState() == ConnectionState.OPEN) open.add(k);
        });
        return open;
    }

    static Map<String, String> summary(Map<String, Connection> table) {
        Map<String, String> s = new java.util.TreeMap<>();
        table.forEach((k, c) -> s.put(k, c.getState() + " " + c.getCloseReason() + " opened=" + c.getOpenedAt() + " closed="
                + c.getClosedAt() + " nat=" + (c.getNat() != null)));
        return s;
    }

    static final class World {
        final Sock sock;
        boolean open;

        World(Sock sock, boolean open) {
            this.sock = sock;
            this.open = open;
        }
    }

    /** Emits records as the producer does and feeds the same records to the model. */
    static final class Producer {
        TableFixture f;
        final Model model = new Model();
        final List<World> world = new ArrayList<>();
        long clock = WALL.toEpochMilli() - 60_000;
        int nextPort = 30000;
        long nextCookie = 1;
        int snapshots;
        boolean resyncDue;
        /** The next snapshot's SNAPSHOT_END reaches a restarted topology. */
        boolean restartMidSnapshot;

        Producer(TableFixture f) {
            this.f = f;
        }

        Sock newSock() {
            return new Sock(HOST, 4026531833L, "10.1.0.1", nextPort++, "10.96.0.1", 443, nextCookie++);
        }

        Instant tick() {
            return Instant.ofEpochMilli(++clock);
        }

        void emit(TcpEvent e) {
            f.send(e);
            model.event(e, Keys.of(e));
        }

        World pick(int target, boolean open) {
            List<World> c = world.stream().filter(w -> w.open == open).toList();
            return c.isEmpty() ? null : c.get(target % c.size());
        }

        void apply(Action a) {
            switch (a.kind()) {
                case OPEN -> open(newSock(), a.target());
                case REUSE_TUPLE -> {
                    World old = pick(a.target(), false);
                    if (old != null) {
                        Sock s = old.sock;
                        open(new Sock(s.host(), s.netns(), s.laddr(), s.lport(), s.raddr(), s.rport(), nextCookie++), a.target());
                    }
                }
                case CLOSE -> {
                    World w = pick(a.target(), true);
                    if (w != null) {
                        w.open = false;
                        emit(f.event(EventType.CLOSE, w.sock, tick()));
                    }
                }
                case LOSE_CLOSE -> {
                    World w = pick(a.target(), true);
                    if (w != null) {
                        w.open = false;
                        resyncDue = true; // design rule 6 (loss): a loss triggers a resync
                    }
                }
                case RESYNC -> snapshot(-1, false);
                case RESYNC_WHILE_CLOSING -> snapshot(a.target(), false);
                case CLOSE_BEFORE_SNAPSHOT -> snapshot(a.target(), true);
                case RESTART -> {
                    f.epoch++;
                    f.seq = 0;
                    snapshot(-1, false);
                }
                case NAT -> {
                    if (!world.isEmpty()) {
                        Sock s = world.get(a.target() % world.size()).sock;
                        NatEntry n = TableFixture.natEntry(HOST, 4026531833L, s.laddr(), s.lport(), s.raddr(), s.rport(),
                                "172.20.0.9", 8443, s.laddr(), s.lport(), tick());
                        f.sendNat(n);
                        model.nat(s.laddr() + "|" + s.lport() + "|" + s.raddr() + "|" + s.rport(), n.getTimestamp().toEpochMilli());
                    }
                }
                case HEARTBEAT -> emit(f.hostRecord(EventType.HEARTBEAT, HOST, tick(), null));
                case TOPOLOGY_RESTART -> f = f.restarted();
                case RESYNC_ACROSS_TOPOLOGY_RESTART -> {
                    restartMidSnapshot = true;
                    snapshot(-1, false);
                }
            }
        }

        void open(Sock s, int how) {
            world.add(new World(s, true));
            emit(f.event(how % 2 == 0 ? EventType.CONNECT : EventType.ACCEPT, s, tick()));
        }

        /**
         * A snapshot with held events (design rule 1, snapshots hold events). closing >= 0: one open
         * socket closes during it — either after it was listed (beforeListing false) or before (true:
         * it is absent); its CLOSE is held and released after SNAPSHOT_END either way.
         */
        void snapshot(int closing, boolean beforeListing) {
            String id = "snap-" + (++snapshots);
            World closes = closing >= 0 ? pick(closing, true) : null;
            Instant closedAt = null;
            if (closes != null && beforeListing) {
                closes.open = false;
                closedAt = tick();
            }
            for (World w : world) {
                if (w.open) {
                    emit(f.snapshot(w.sock, id, tick()));
                }
            }
            if (closes != null && !beforeListing) {
                closes.open = false;
                closedAt = tick();
            }
            if (restartMidSnapshot) {
                f = f.restarted();
                restartMidSnapshot = false;
            }
            emit(f.hostRecord(EventType.SNAPSHOT_END, HOST, tick(), id));
            if (closes != null) {
                TcpEvent close = f.event(EventType.CLOSE, closes.sock, closedAt);
                emit(close);
            }
            resyncDue = false;
        }
    }

    /** The rules as plainly as they can be written: a map of rows. */
    static final class Model {
        static final class Row {
            ConnectionState state;
            CloseReason reason;
            Instant openedAt;
            Instant closedAt;
            String confirmedBy;
            long epoch;
            long seq;
            String tuple;
            Long natSeen;
        }

        final Map<String, Row> rows = new LinkedHashMap<>();
        final Map<String, Long> natByTuple = new HashMap<>();
        String snapshot;
        long snapshotEpoch;
        long snapshotStart;

        void event(TcpEvent e, String id) {
            Instant ts = Instant.ofEpochMilli(e.getTimestamp().toEpochMilli());
            Row r = rows.get(id);
            switch (e.getType()) {
                case CONNECT, ACCEPT -> {
                    if (r == null || r.state == ConnectionState.CLOSED) {
                        if (r != null && r.reason == CloseReason.CLOSED && ts.isBefore(r.closedAt)) return;
                        r = fresh(id, e, ts);
                    } else if (r.openedAt == null) {
                        r.openedAt = ts;
                    }
                    r.epoch = e.getAgentEpoch();
                    r.seq = e.getSeq();
                }
                case SNAPSHOT -> {
                    if (!Objects.equals(snapshot, e.getSnapshotId()) || snapshotEpoch != e.getAgentEpoch()) {
                        snapshot = e.getSnapshotId();
                        snapshotEpoch = e.getAgentEpoch();
                        snapshotStart = e.getSeq();
                    }
                    if (r != null && r.state == ConnectionState.CLOSED && r.reason == CloseReason.CLOSED) return;
                    if (r == null || r.state == ConnectionState.CLOSED) {
                        Instant opened = r == null ? null : r.openedAt;
                        r = fresh(id, e, opened);
                    }
                    r.confirmedBy = e.getSnapshotId();
                    r.epoch = e.getAgentEpoch();
                    r.seq = e.getSeq();
                }
                case CLOSE -> {
                    if (r == null) {
                        r = fresh(id, e, null);
                        close(r, CloseReason.CLOSED, ts);
                    } else if (r.state == ConnectionState.OPEN) {
                        close(r, CloseReason.CLOSED, ts);
                    } else if (r.reason != CloseReason.CLOSED) {
                        r.reason = CloseReason.CLOSED;
                        r.closedAt = ts;
                    }
                }
                case SNAPSHOT_END -> {
                    long start = e.getSnapshotId().equals(snapshot) && snapshotEpoch == e.getAgentEpoch() ? snapshotStart : e.getSeq();
                    for (Row x : rows.values()) {
                        boolean newer = x.epoch == e.getAgentEpoch() && x.seq > start;
                        if (x.state == ConnectionState.OPEN && !e.getSnapshotId().equals(x.confirmedBy) && !newer) {
                            close(x, CloseReason.NOT_IN_SNAPSHOT, ts);
                        }
                    }
                    snapshot = null;
                }
                default -> {
                }
            }
        }

        Row fresh(String id, TcpEvent e, Instant openedAt) {
            Row r = new Row();
            r.state = ConnectionState.OPEN;
            r.openedAt = openedAt;
            r.tuple = e.getLaddr() + "|" + e.getLport() + "|" + e.getRaddr() + "|" + e.getRport();
            r.natSeen = natByTuple.get(r.tuple);
            rows.put(id, r);
            return r;
        }

        static void close(Row r, CloseReason reason, Instant at) {
            r.state = ConnectionState.CLOSED;
            r.reason = reason;
            r.closedAt = at;
        }

        void nat(String tuple, long seenAt) {
            natByTuple.put(tuple, seenAt);
            for (Row r : rows.values()) {
                if (r.tuple.equals(tuple) && r.natSeen == null
                        && (r.state == ConnectionState.OPEN || seenAt <= r.closedAt.toEpochMilli() + 10_000)) {
                    r.natSeen = seenAt;
                }
            }
        }

        Map<String, String> summary() {
            Map<String, String> s = new java.util.TreeMap<>();
            rows.forEach((k, r) -> s.put(k, r.state + " " + r.reason + " opened=" + r.openedAt + " closed=" + r.closedAt + " nat="
                    + (r.natSeen != null)));
            return s;
        }
    }
}
