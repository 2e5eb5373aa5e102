package dev.conntrail.topology.rows;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.Random;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** The heap table's compact form gives back exactly the row and bookkeeping it was given, nulls included. */
class CompactRowTest {
    private final SharedStrings shared = new SharedStrings(4);

    @Property(tries = 500)
    void expandsToWhatItWasSet(@ForAll Random random) {
        RowState s = randomRow(random);
        CompactRow compact = new CompactRow("key");
        compact.set(s, shared);
        RowState back = compact.expand();
        assertThat(back.row).isEqualTo(s.row);
        assertThat(back).usingRecursiveComparison().isEqualTo(s);
        assertThat(back.row).isNotSameAs(s.row);
        if (s.row.getNat() != null) assertThat(back.row.getNat()).isNotSameAs(s.row.getNat()); // the caller may change it
    }

    @Property(tries = 200)
    void bookkeepingAloneLeavesTheRow(@ForAll Random random) {
        RowState first = randomRow(random);
        RowState later = randomRow(random);
        CompactRow compact = new CompactRow("key");
        compact.set(first, shared);
        compact.setBookkeeping(later, shared);
        RowState back = compact.expand();
        assertThat(back.row).isEqualTo(first.row);
        assertThat(back.confirmedBy).isEqualTo(later.confirmedBy);
        assertThat(back.epoch).isEqualTo(later.epoch);
        assertThat(back.seq).isEqualTo(later.seq);
        assertThat(back.closeAppliedAt).isEqualTo(later.closeAppliedAt);
        assertThat(back.tombstoneAt).isEqualTo(later.tombstoneAt);
        assertThat(back.marked).isEqualTo(later.marked);
    }

    @Property(tries = 50)
    void equalStringsAreSharedAndTheCacheStaysBounded(@ForAll Random random) {
        SharedStrings strings = new SharedStrings(8);
        String a = strings.of(new String("nginx"));
        assertThat(strings.of(new String("nginx"))).isSameAs(a);
        for (int i = 0; i < 100; i++) {
            String s = "10.0.0." + random.nextInt(1000);
            assertThat(strings.of(s)).isEqualTo(s);
            assertThat(strings.size()).isLessThanOrEqualTo(9);
        }
    }

    static RowState randomRow(Random r) {
        Connection c = new Connection(
                "host-" + r.nextInt(3),
                maybe(r, r::nextLong),
                maybe(r, () -> Family.values()[r.nextInt(Family.values().length)]),
                maybe(r, () -> "10.0." + r.nextInt(3) + ".1"),
                maybe(r, r::nextInt),
                maybe(r, () -> "::ffff:192.0.2." + r.nextInt(3)),
                maybe(r, r::nextInt),
                maybe(r, r::nextLong),
                maybe(r, () -> Direction.values()[r.nextInt(Direction.values().length)]),
                maybe(r, r::nextInt),
                maybe(r, () -> "comm" + r.nextInt(3)),
                maybe(r, r::nextLong),
                maybe(r, r::nextLong),
                ConnectionState.values()[r.nextInt(ConnectionState.values().length)],
                maybe(r, () -> CloseReason.values()[r.nextInt(CloseReason.values().length)]),
                maybe(r, () -> millis(r)),
                maybe(r, () -> millis(r)),
                millis(r),
                maybe(r, () -> Source.values()[r.nextInt(Source.values().length)]),
                maybe(r, () -> NatInfo.newBuilder().setOrigSrc("10.0.0.1").setOrigSport(r.nextInt(65536)).setOrigDst("10.0.0.2")
                        .setOrigDport(80).setReplySrc("10.0.0.2").setReplySport(80).setReplyDst("10.0.0.1")
                        .setReplyDport(r.nextInt(65536)).build()),
                maybe(r, () -> "c" + r.nextInt(3)),
                maybe(r, () -> new TcpCounters(r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong(),
                        r.nextLong())));
        RowState s = new RowState(c);
        s.confirmedBy = maybe(r, () -> "snap-" + r.nextInt(3));
        s.epoch = r.nextBoolean() ? RowState.NONE : r.nextLong();
        s.seq = r.nextBoolean() ? RowState.NONE : r.nextLong();
        s.closeAppliedAt = r.nextBoolean() ? RowState.NONE : r.nextLong();
        s.tombstoneAt = r.nextBoolean() ? RowState.NONE : r.nextLong();
        s.marked = r.nextBoolean();
        return s;
    }

    private static Instant millis(Random r) {
        return Instant.ofEpochMilli(r.nextLong(-10_000_000_000_000L, 10_000_000_000_000L));
    }

    private static <T> T maybe(Random r, Supplier<T> value) {
        return r.nextInt(4) == 0 ? null : value.get();
    }
}
