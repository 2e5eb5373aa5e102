package dev.conntrail.topology;

import static dev.conntrail.topology.TaskParts.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.schemas.Keys;
import dev.conntrail.topology.errors.InputRejectedException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** {@link NatJoin}: NAT entries and rows joined both ways, by original (initiator) or reply (responder) tuple (design rule 7). */
class NatJoinTest {
    private final TaskParts task = new TaskParts();

    /** The socket 10.0.0.1:40000 -> 10.0.0.2:80 of {@link TaskParts#event}, its connection DNATed to 10.0.0.2 from 192.0.2.9. */
    private static NatEntry entryOfTheSocket(Instant at) {
        return NatEntry.newBuilder().setHost("host-a").setNetns(4026531833L).setZone(0).setTimestamp(at).setFamily(Family.IPV4)
                .setOrigSrc("10.0.0.1").setOrigSport(40000).setOrigDst("192.0.2.9").setOrigDport(443)
                .setReplySrc("10.0.0.2").setReplySport(80).setReplyDst("10.0.0.1").setReplyDport(40000).build();
    }

    private static NatEntry entryOfOriginalTuple(Instant at) {
        return NatEntry.newBuilder().setHost("host-a").setNetns(4026531833L).setZone(0).setTimestamp(at).setFamily(Family.IPV4)
                .setOrigSrc("10.0.0.1").setOrigSport(40000).setOrigDst("10.0.0.2").setOrigDport(80)
                .setReplySrc("172.16.0.5").setReplySport(80).setReplyDst("192.0.2.1").setReplyDport(61000).build();
    }

    private void send(NatEntry n) {
        task.nat.onEntry(Keys.of(n), n, n.getTimestamp().toEpochMilli(), task.now());
    }

    @Test
    void anEntryArrivingAfterTheSocketIsAttachedToItsOpenRow() {
        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0));
        task.published();

        send(entryOfOriginalTuple(T0.plusMillis(1)));

        assertThat(task.published()).singleElement().satisfies(r -> {
            assertThat(r.value().getNat()).isNotNull();
            assertThat(r.value().getNat().getReplySrc()).isEqualTo("172.16.0.5");
        });
    }

    @Test
    void aSocketArrivingAfterTheEntryTakesItWhenItsRowIsCreated() {
        send(entryOfOriginalTuple(T0));
        task.published();

        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0.plusMillis(1)));

        assertThat(task.published()).singleElement().satisfies(r -> assertThat(r.value().getNat()).isNotNull());
    }

    @Test
    void aTombstoneTakesTheEntryOutOfTheJoinButRowsKeepTheirFacts() {
        NatEntry n = entryOfOriginalTuple(T0);
        task.send(task.event(EventType.CONNECT, "host-a", 40000, T0));
        send(n);
        task.published();

        task.nat.onEntry(Keys.of(n), null, T0.toEpochMilli(), task.now());
        assertThat(task.published()).as("rows keep the NAT facts they have").isEmpty();
        try (var all = task.natStore.all()) {
            assertThat(all.hasNext()).as("both keys of the entry deleted").isFalse();
        }

        task.send(task.event(EventType.CONNECT, "host-a", 40001, T0.plusMillis(1)));
        assertThat(task.published()).singleElement().satisfies(r -> assertThat(r.value().getNat()).isNull());
    }

    @Test
    void anEntryIsStoredUnderBothItsTuples() {
        send(entryOfTheSocket(T0));

        try (var all = task.natStore.all()) {
            assertThat(all).toIterable().extracting(kv -> NatJoin.natTuple(kv.key)).containsExactlyInAnyOrder(
                    "O|host-a|" + dev.conntrail.schemas.Addresses.comparable("10.0.0.1") + "|40000|"
                            + dev.conntrail.schemas.Addresses.comparable("192.0.2.9") + "|443|",
                    "R|host-a|" + dev.conntrail.schemas.Addresses.comparable("10.0.0.2") + "|80|"
                            + dev.conntrail.schemas.Addresses.comparable("10.0.0.1") + "|40000|");
        }
    }

    @Test
    void aKeyThatIsNotANatKeyIsRejected() {
        assertThatThrownBy(() -> task.nat.onEntry("host-a|1|2", entryOfTheSocket(T0), T0.toEpochMilli(), task.now()))
                .isInstanceOf(InputRejectedException.class).hasMessageContaining("not a NAT key");
        try (var all = task.natStore.all()) {
            assertThat(all.hasNext()).isFalse();
        }
    }
}
