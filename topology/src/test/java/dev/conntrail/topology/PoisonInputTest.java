package dev.conntrail.topology;

import static dev.conntrail.topology.TableFixture.A;
import static dev.conntrail.topology.TableFixture.T0;
import static dev.conntrail.topology.TableFixture.sock;
import static dev.conntrail.topology.TableFixture.t;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.NatInfo;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.Keys;
import dev.conntrail.schemas.RecordBounds;
import dev.conntrail.topology.TableFixture.Sock;
import dev.conntrail.topology.errors.DeadLetters;
import dev.conntrail.topology.errors.SinkLimit;
import dev.conntrail.topology.state.RowState;
import dev.conntrail.topology.state.RowStateHeader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Design rule 8 (guarantees), poison input: every kind of record the topology cannot or must not act
 * on is dead-lettered (or, on {@code connections} while restoring, skipped) with its reason, counted,
 * and never stops the table; the table stays what the valid records make it. TopologyTestDriver
 * with the real registry serde on an in-memory registry; the same against a real broker is
 * PoisonInputIntegrationTest (app).
 */
class PoisonInputTest {
    TableFixture f = new TableFixture(T0);
    static final Sock B = sock("host-b", "10.0.0.7", 50000, "10.0.0.8", 443, 21);

    @AfterEach
    void close() {
        f.close();
    }

    /** The one dead letter written since the last call: its reason header. */
    private String deadLetterReason() {
        var dead = f.dlq.readRecordsToList();
        assertThat(dead).as("one dead letter").hasSize(1);
        Header reason = dead.get(0).headers().lastHeader(DeadLetters.REASON_HEADER);
        assertThat(dead.get(0).headers().lastHeader("__streams.errors.message")).isNotNull();
        return new String(reason.value(), StandardCharsets.UTF_8);
    }

    private double deadLettered(String stage, String reason) {
        return f.metrics.count("conntrail.topology.dead.lettered", "stage", stage, "reason", reason);
    }

    /** A valid record after the poison is still applied: processing went on. */
    private void andTheTableGoesOn() {
        f.connect(B, t(900));
        assertThat(f.row(B).getState()).isEqualTo(ConnectionState.OPEN);
    }

    // ---- (b) null values and records of another type ----------------------------------------

    @Test
    void aTombstoneOnTcpEventsIsDeadLetteredAsNullValue() {
        f.connect(A, t(0));
        f.events.pipeInput(new TestRecord<>(A.id(), null, t(1)));
        assertThat(deadLetterReason()).isEqualTo("null-value");
        assertThat(deadLettered("processing", "null-value")).isEqualTo(1);
        assertThat(f.row(A).getState()).as("the row is untouched").isEqualTo(ConnectionState.OPEN);
        andTheTableGoesOn();
    }

    @Test
    void aNatEntryOnTcpEventsAndATcpEventOnConntrackNatAreDeadLetteredAsWrongType() {
        NatEntry n = natEntry("host-a");
        byte[] natBytes = f.natSerde.serializer().serialize(TableFixture.TOPICS.nat(), n);
        f.rawEvents.pipeInput(new TestRecord<>(A.id(), natBytes, t(0)));
        assertThat(deadLetterReason()).isEqualTo("wrong-type");
        byte[] eventBytes = f.eventSerde.serializer().serialize(TableFixture.TOPICS.events(), f.event(EventType.CONNECT, A, t(1)));
        f.rawNat.pipeInput(new TestRecord<>(Keys.of(n), eventBytes, t(1)));
        assertThat(deadLetterReason()).isEqualTo("wrong-type");
        assertThat(deadLettered("processing", "wrong-type")).isEqualTo(2);
        assertThat(f.table()).isEmpty();
        andTheTableGoesOn();
    }

    @Test
    void aRecordWithoutAKeyIsDeadLettered() {
        f.events.pipeInput(new TestRecord<>((String) null, f.event(EventType.CONNECT, A, t(0)), t(0)));
        assertThat(deadLetterReason()).isEqualTo("no-key");
        assertThat(f.table()).isEmpty();
        andTheTableGoesOn();
    }

    // ---- undecodable bytes --------------------------------------------------------------------

    @Test
    void bytesThatNeverDecodeAreDeadLetteredAtDeserializationWithTheirReason() {
        byte[] truncated = f.eventSerde.serializer().serialize(TableFixture.TOPICS.events(), f.event(EventType.CONNECT, A, t(0)));
        truncated = java.util.Arrays.copyOf(truncated, truncated.length / 2);
        byte[] unknownId = ByteBuffer.allocate(12).put((byte) 0).putInt(424_242).putInt(7).array();
        f.rawEvents.pipeInput(new TestRecord<>(A.id(), "not avro".getBytes(StandardCharsets.UTF_8), t(0)));
        f.rawEvents.pipeInput(new TestRecord<>(A.id(), truncated, t(0)));
        f.rawEvents.pipeInput(new TestRecord<>(A.id(), unknownId, t(0))); // asked again for the fixture's 200 ms grace, then unknown
        andTheTableGoesOn();
        assertThat(deadLettered("deserialization", "bad-magic-byte")).isEqualTo(1);
        assertThat(deadLettered("deserialization", "malformed")).isEqualTo(1);
        assertThat(deadLettered("deserialization", "unknown-schema-id")).isEqualTo(1);
        assertThat(f.table()).containsOnlyKeys(B.id());
    }

    // ---- (c) bounds at the door --------------------------------------------------------------

    @Test
    void fieldsBeyondTheRecordBoundsAreDeadLetteredAndFieldsAtTheBoundsAreNot() {
        TcpEvent hugeComm = f.event(EventType.CONNECT, A, t(0));
        hugeComm.setComm("x".repeat(900_000));
        f.send(hugeComm);
        assertThat(deadLetterReason()).isEqualTo("field-too-long");

        Sock longHost = sock("h".repeat(RecordBounds.HOST_MAX_BYTES + 1), "10.0.0.1", 1, "10.0.0.2", 2, 3);
        TcpEvent e = f.event(EventType.CONNECT, new Sock("x", 1, "10.0.0.1", 1, "10.0.0.2", 2, 3L), t(1));
        e.setHost(longHost.host());
        f.events.pipeInput(new TestRecord<>(longHost.host() + "|1|10.0.0.1|1|10.0.0.2|2|3", e, t(1)));
        assertThat(deadLetterReason()).isEqualTo("field-too-long");

        TcpEvent longAddress = f.event(EventType.CONNECT, A, t(2));
        longAddress.setRaddr("1".repeat(RecordBounds.IPV4_TEXT_MAX + 1)); // an IPv4 socket's address longer than any IPv4 text
        f.events.pipeInput(new TestRecord<>(A.id(), longAddress, t(2)));
        assertThat(deadLetterReason()).isEqualTo("field-too-long");

        TcpEvent notAnAddress = f.event(EventType.CONNECT, A, t(3));
        notAnAddress.setRaddr("<script>");
        f.events.pipeInput(new TestRecord<>(A.id(), notAnAddress, t(3)));
        assertThat(deadLetterReason()).isEqualTo("not-an-address");

        f.events.pipeInput(new TestRecord<>(A.id() + "x".repeat(RecordBounds.KEY_MAX_BYTES), f.event(EventType.CONNECT, A, t(4)), t(4)));
        assertThat(deadLetterReason()).isEqualTo("field-too-long");

        NatEntry hugeNat = natEntry("host-a");
        hugeNat.setReplySrc("f".repeat(RecordBounds.IPV6_TEXT_MAX + 1));
        f.sendNat(hugeNat);
        assertThat(deadLetterReason()).isEqualTo("field-too-long");
        assertThat(deadLettered("processing", "field-too-long")).isEqualTo(5);
        assertThat(f.table()).isEmpty();

        TcpEvent atTheBounds = f.event(EventType.CONNECT, A, t(5));
        atTheBounds.setComm("é".repeat(RecordBounds.COMM_MAX_BYTES / 2)); // 64 bytes of UTF-8
        f.send(atTheBounds);
        assertThat(f.row(A).getComm()).isEqualTo("é".repeat(32));
        assertThat(f.dlq.isEmpty()).isTrue();
    }

    /** With every field at its bound, a row change (key, value, header) stays within {@link RecordBounds#ROW_RECORD_MAX_BYTES}. */
    @Test
    void theLargestRowTheBoundsAllowFitsTheBoundForARowChange() {
        String host = "h".repeat(RecordBounds.HOST_MAX_BYTES);
        String v6 = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
        assertThat(v6).hasSize(RecordBounds.IPV6_TEXT_MAX);
        NatInfo nat = NatInfo.newBuilder().setNetns(Long.MIN_VALUE).setOrigSrc(v6).setOrigSport(Integer.MIN_VALUE).setOrigDst(v6)
                .setOrigDport(Integer.MIN_VALUE).setReplySrc(v6).setReplySport(Integer.MIN_VALUE).setReplyDst(v6)
                .setReplyDport(Integer.MIN_VALUE).build();
        Instant far = Instant.ofEpochMilli(Long.MIN_VALUE / 2);
        Connection row = new Connection(host, Long.MIN_VALUE, dev.conntrail.avro.Family.IPV6, v6, Integer.MIN_VALUE, v6, Integer.MIN_VALUE,
                Long.MIN_VALUE, dev.conntrail.avro.Direction.OUTGOING, Integer.MIN_VALUE, "\uD83D\uDE00".repeat(RecordBounds.COMM_MAX_BYTES / 4),
                Long.MIN_VALUE, Long.MIN_VALUE, ConnectionState.CLOSED, CloseReason.NOT_IN_SNAPSHOT, far, far, far,
                dev.conntrail.avro.Source.SNAPSHOT, nat, "\uD83D\uDE00".repeat(RecordBounds.CONTAINER_MAX_BYTES / 4),
                new dev.conntrail.avro.TcpCounters(Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE,
                        Long.MIN_VALUE, Long.MIN_VALUE));
        assertThat(RecordBounds.violation(row)).isNull();
        String id = Keys.connectionId(host, Long.MIN_VALUE, v6, 65535, v6, 65535, Long.MIN_VALUE);
        assertThat(RecordBounds.keyViolation(id)).isNull();
        RowState s = new RowState(row);
        s.epoch = Long.MIN_VALUE;
        s.seq = Long.MIN_VALUE;
        s.closeAppliedAt = Long.MIN_VALUE;
        s.tombstoneAt = Long.MIN_VALUE;
        s.confirmedBy = "s".repeat(RecordBounds.SNAPSHOT_ID_MAX_BYTES);
        byte[] header = RowStateHeader.encode(s);
        byte[] value = f.connectionSerde.serializer().serialize(TableFixture.TOPICS.connections(), row);
        int size = id.getBytes(StandardCharsets.UTF_8).length + value.length + RowStateHeader.NAME.length() + header.length;
        assertThat(size).isLessThanOrEqualTo(RecordBounds.ROW_RECORD_MAX_BYTES);
    }

    // ---- (d) a record acts only on its own host's rows ------------------------------------------

    @Test
    void aSnapshotEndKeyedByOneHostThatNamesAnotherDoesNotEndThatHostsSnapshot() {
        f.connect(B, t(0));
        f.send(f.snapshot(A, "snap-a", t(1)));
        TcpEvent forged = f.hostRecord(EventType.SNAPSHOT_END, "host-b", t(2), "snap-a");
        f.events.pipeInput(new TestRecord<>("host-a", forged, t(2)));
        assertThat(deadLetterReason()).isEqualTo("host-mismatch");
        assertThat(f.row(B).getState()).as("host-b's row is not closed NOT_IN_SNAPSHOT").isEqualTo(ConnectionState.OPEN);

        TcpEvent heartbeat = f.hostRecord(EventType.HEARTBEAT, "host-b", t(3), null);
        f.events.pipeInput(new TestRecord<>("host-a", heartbeat, t(3)));
        assertThat(deadLetterReason()).isEqualTo("host-mismatch");
        assertThat(deadLettered("processing", "host-mismatch")).isEqualTo(2);
    }

    @Test
    void aConnectionEventOrNatEntryKeyedByAnotherHostIsDeadLettered() {
        TcpEvent close = f.event(EventType.CLOSE, B, t(1));
        f.connect(B, t(0));
        f.events.pipeInput(new TestRecord<>(A.id(), close, t(1))); // key of host-a, value of host-b
        assertThat(deadLetterReason()).isEqualTo("host-mismatch");
        assertThat(f.row(B).getState()).isEqualTo(ConnectionState.OPEN);

        NatEntry n = natEntry("host-b");
        f.nat.pipeInput(Keys.of(natEntry("host-a")), n, t(2));
        assertThat(deadLetterReason()).isEqualTo("host-mismatch");
    }

    @Test
    void keysThatAreNotWhatTheContractKeysSuchARecordByAreDeadLettered() {
        f.connect(A, t(0));
        f.send(f.snapshot(A, "snap-1", t(1)));
        TcpEvent end = f.hostRecord(EventType.SNAPSHOT_END, "host-a", t(2), "snap-1");
        f.events.pipeInput(new TestRecord<>(A.id(), end, t(2))); // a connection id, not the host
        assertThat(deadLetterReason()).isEqualTo("bad-key");
        f.events.pipeInput(new TestRecord<>("host-a", f.event(EventType.CONNECT, A, t(3)), t(3))); // the host, not a connection id
        assertThat(deadLetterReason()).isEqualTo("bad-key");
        NatEntry n = natEntry("host-a");
        f.nat.pipeInput("host-a|1|0|IPV4|10.0.0.1|1|10.0.0.2|2", n, t(4)); // another entry's key
        assertThat(deadLetterReason()).isEqualTo("bad-key");
        f.rawNat.pipeInput(new TestRecord<>("host-a|not|a|nat|key", null, t(5))); // a tombstone of something that is not a NAT key
        assertThat(deadLetterReason()).isEqualTo("bad-key");
        TcpEvent noSnapshotId = f.hostRecord(EventType.SNAPSHOT_END, "host-a", t(6), null);
        f.events.pipeInput(new TestRecord<>("host-a", noSnapshotId, t(6)));
        assertThat(deadLetterReason()).isEqualTo("missing-field");
        assertThat(f.row(A).getState()).isEqualTo(ConnectionState.OPEN);
    }

    // ---- (c) the sink: a row change it cannot take --------------------------------------------

    @Test
    void aRowChangeLargerThanTheSinkTakesIsDeadLetteredAtTheProcessorNotSent() {
        f.close();
        SinkLimit limit = new SinkLimit(RecordBounds.ROW_RECORD_MAX_BYTES);
        f = new TableFixture(T0, TopologySettings.defaults(TableFixture.W), limit);
        f.connect(A, t(0));
        Sock big = sock("h".repeat(200), "10.0.0.1", 1, "10.0.0.2", 2, 3);
        limit.refused(500, System.currentTimeMillis()); // as if the broker had refused a 500-byte row change
        f.connect(big, t(1));
        assertThat(deadLetterReason()).isEqualTo("row-too-large");
        f.close(A, t(2));
        assertThat(f.row(A).getState()).as("smaller row changes still go out").isEqualTo(ConnectionState.CLOSED);
        assertThat(f.table()).containsOnlyKeys(A.id());
        assertThat(f.metrics.openRows.get()).as("the refused row was never counted").isZero();
        assertThat(f.metrics.closedRows.get()).isEqualTo(1);
    }

    // ---- (a) the restore from connections ------------------------------------------------------

    @Test
    void theRestoreSkipsRecordsOfConnectionsThatAreNotRowsAndKeepsTheRest() {
        f.connect(A, t(0));
        f.connect(B, t(1));
        f.table();
        byte[] event = f.eventSerde.serializer().serialize(TableFixture.TOPICS.events(), f.event(EventType.CONNECT, A, t(0)));
        Connection huge = f.row(B);
        huge = Connection.newBuilder(huge).setComm("c".repeat(10_000)).build();
        byte[] hugeRow = f.connectionSerde.serializer().serialize(TableFixture.TOPICS.connections(), huge);
        f.published.add(new TestRecord<>(A.id(), "not avro".getBytes(StandardCharsets.UTF_8), new RecordHeaders(), t(2)));
        f.published.add(new TestRecord<>("x|1|1.1.1.1|1|2.2.2.2|2|3", event, new RecordHeaders(), t(2)));
        f.published.add(new TestRecord<>(B.id(), hugeRow, new RecordHeaders(), t(2)));
        f = f.restarted();
        assertThat(f.metrics.count("conntrail.topology.rows.restore.skipped")).isEqualTo(3);
        assertThat(f.metrics.count("conntrail.topology.rows.restore.skipped", "reason", "undecodable")).isEqualTo(1);
        assertThat(f.metrics.count("conntrail.topology.rows.restore.skipped", "reason", "wrong-type")).isEqualTo(1);
        assertThat(f.metrics.count("conntrail.topology.rows.restore.skipped", "reason", "field-too-long")).isEqualTo(1);
        // both rows came back: a CLOSE closes them with what their CONNECTs said (a CLOSE without a row has no openedAt)
        f.close(A, t(3));
        f.close(B, t(3));
        assertThat(f.row(A).getOpenedAt()).isEqualTo(t(0));
        assertThat(f.row(B).getOpenedAt()).isEqualTo(t(1));
        assertThat(f.row(B).getComm()).isEqualTo("curl");
    }

    // ---- dead letters fit their topic ----------------------------------------------------------

    @Test
    void aDeadLetterLongerThanItsTopicTakesIsCutAndSaysHowLongItWas() {
        f.close();
        var metrics = new dev.conntrail.topology.metrics.TopologyMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        DeadLetters letters = new DeadLetters("dlq", metrics, SinkLimit.unlimited(), 1000);
        var handler = new dev.conntrail.topology.errors.DeadLetterProcessingHandler();
        handler.configure(Map.of(DeadLetters.CONFIG, letters));
        byte[] value = new byte[5000];
        var context = new org.apache.kafka.streams.errors.internals.DefaultErrorHandlerContext(null, "tcp-events", 2, 9L, new RecordHeaders(),
                ConnectionTopology.TABLE, new org.apache.kafka.streams.processor.TaskId(0, 2), 0L, "k".getBytes(StandardCharsets.UTF_8), value);
        var response = handler.handleError(context, new org.apache.kafka.streams.processor.api.Record<>("k", null, 0L),
                new dev.conntrail.topology.errors.InputRejectedException("field-too-long", "comm is 5000 bytes"));
        var dead = response.deadLetterQueueRecords();
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).value()).hasSize(1000);
        assertThat(new String(dead.get(0).headers().lastHeader(DeadLetters.VALUE_BYTES_HEADER).value(), StandardCharsets.UTF_8)).isEqualTo("5000");
        assertThat(new String(dead.get(0).headers().lastHeader("__streams.errors.offset").value(), StandardCharsets.UTF_8)).isEqualTo("9");
        assertThat(metrics.count("conntrail.topology.dead.lettered", "stage", "processing", "reason", "field-too-long")).isEqualTo(1);
        f = new TableFixture(T0);
    }

    static NatEntry natEntry(String host) {
        return TableFixture.natEntry(host, 4026531833L, "10.0.0.1", 40000, "10.96.0.10", 80, "10.1.1.1", 8080, "10.0.0.1", 40000, T0);
    }
}
