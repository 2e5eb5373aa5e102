package dev.conntrail.topology;

import static dev.conntrail.topology.TableFixture.A;
import static dev.conntrail.topology.TableFixture.T0;
import static dev.conntrail.topology.TableFixture.W;
import static dev.conntrail.topology.TableFixture.natEntry;
import static dev.conntrail.topology.TableFixture.sock;
import static dev.conntrail.topology.TableFixture.t;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.topology.TableFixture.Sock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import dev.conntrail.topology.errors.DeadLetterDeserializationHandler;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.internals.DefaultErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The topology's behaviour, grouped by the rules of docs/design.md it implements: rules 3 (events), 4 (windows),
 * 5 (convergence), 7 (NAT) and 8 (guarantees); each test is named for the behaviour it checks.
 */
class ConnectionTopologyTest {
    final TableFixture f = new TableFixture(T0);

    @AfterEach
    void close() {
        f.close();
    }

    // ---- rows ---------------------------------------------------------------------------------

    @Test
    void connectOpensARowAndCloseClosesIt() {
        f.connect(A, t(0));
        Connection open = f.row(A);
        assertThat(open.getState()).isEqualTo(ConnectionState.OPEN);
        assertThat(open.getOpenedAt()).isEqualTo(t(0));
        assertThat(open.getDirection()).isEqualTo(Direction.OUTGOING);
        assertThat(open.getPid()).isEqualTo(4242);

        f.close(A, t(500));
        Connection closed = f.row(A);
        assertThat(closed.getState()).isEqualTo(ConnectionState.CLOSED);
        assertThat(closed.getCloseReason()).isEqualTo(CloseReason.CLOSED);
        assertThat(closed.getClosedAt()).isEqualTo(t(500));
        assertThat(closed.getOpenedAt()).isEqualTo(t(0));
        assertThat(closed.getPid()).as("CLOSE carries no pid; the row keeps the connector's").isEqualTo(4242);
    }

    @Test
    void acceptOpensAnIncomingRow() {
        Sock server = sock("host-a", "10.0.0.2", 80, "10.0.0.1", 40000, 12);
        f.accept(server, t(0));
        assertThat(f.row(server).getDirection()).isEqualTo(Direction.INCOMING);
    }

    @Test
    void closeWithoutARowCreatesAClosedRowWithoutOpenedAt() {
        f.close(A, t(0));
        Connection row = f.row(A);
        assertThat(row.getState()).isEqualTo(ConnectionState.CLOSED);
        assertThat(row.getCloseReason()).isEqualTo(CloseReason.CLOSED);
        assertThat(row.getOpenedAt()).isNull();
        assertThat(row.getClosedAt()).isEqualTo(t(0));
    }

    @Test
    void aPureDuplicatePublishesNoRowChange() {
        TcpEvent connect = f.event(EventType.CONNECT, A, t(0));
        f.send(connect);
        assertThat(f.changes()).hasSize(1);
        f.send(connect, f.event(EventType.CONNECT, A, t(0)), f.snapshot(A, "s1", t(5)));
        assertThat(f.changes()).as("duplicates and a confirming snapshot change no field").hasSize(1);
        f.close(A, t(10));
        f.close(A, t(10));
        assertThat(f.changes()).hasSize(2);
    }

    @Test
    void aSnapshotOfASocketAlreadyClosedDoesNotReopenIt() {
        f.connect(A, t(0));
        f.close(A, t(10));
        f.send(f.snapshot(A, "s1", t(20)));
        assertThat(f.row(A).getState()).isEqualTo(ConnectionState.CLOSED);
    }

    @Test
    void aSnapshotFillsWhatEventsDidNotKnowWithoutReopening() {
        f.close(A, t(0)); // an old connection: only its CLOSE was seen
        f.send(f.snapshot(sock("host-a", "10.0.0.1", 40001, "10.0.0.2", 80, 13), "s1", t(5)));
        Connection snap = f.table().get(sock("host-a", "10.0.0.1", 40001, "10.0.0.2", 80, 13).id());
        assertThat(snap.getOpenedAt()).as("first seen in a snapshot").isNull();
        assertThat(snap.getDirection()).isEqualTo(Direction.OUTGOING);
    }

    @Test
    void theOwnersCgroupAndContainerGoOntoTheRowAndASnapshotFillsThemWhenTheOpeningEventHadNone() {
        String id = "4a6c1e0e1b8c0a7f5c3a7e1d2b9f8a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a";
        TcpEvent connect = f.event(EventType.CONNECT, A, t(0));
        connect.setCgroupId(4242L);
        connect.setContainer(id);
        f.send(connect);
        assertThat(f.row(A).getCgroupId()).isEqualTo(4242L);
        assertThat(f.row(A).getContainer()).isEqualTo(id);
        f.close(A, t(1)); // a CLOSE without an owner keeps what the row knew
        assertThat(f.row(A).getContainer()).isEqualTo(id);

        Sock b = sock("host-a", "10.0.0.1", 40002, "10.0.0.2", 80, 14);
        f.accept(b, t(2)); // e.g. an ACCEPT whose listener the tracer could not name
        assertThat(f.row(b).getContainer()).isNull();
        TcpEvent snap = f.snapshot(b, "s1", t(3));
        snap.setCgroupId(77L);
        snap.setContainer(id);
        f.send(snap);
        assertThat(f.row(b).getCgroupId()).isEqualTo(77L);
        assertThat(f.row(b).getContainer()).isEqualTo(id);
    }

    @Test
    void aTupleReusedByANewSocketIsANewRow() {
        Sock first = sock("host-a", "10.0.0.1", 40000, "10.0.0.2", 80, 100);
        Sock second = sock("host-a", "10.0.0.1", 40000, "10.0.0.2", 80, 200);
        f.connect(first, t(0));
        f.close(first, t(1));
        f.connect(second, t(2));
        assertThat(f.table()).containsKeys(first.id(), second.id());
        assertThat(f.row(first).getState()).isEqualTo(ConnectionState.CLOSED);
        assertThat(f.row(second).getState()).isEqualTo(ConnectionState.OPEN);
    }

    @Test
    void withoutCookiesAConnectAfterTheCloseIsANewLifecycleOfTheSameRow() {
        Sock noCookie = new Sock("host-a", 4026531833L, "10.0.0.1", 40000, "10.0.0.2", 80, null);
        f.connect(noCookie, t(0));
        f.close(noCookie, t(1));
        f.connect(noCookie, t(2));
        assertThat(noCookie.id()).endsWith("|0");
        Connection row = f.row(noCookie);
        assertThat(row.getState()).isEqualTo(ConnectionState.OPEN);
        assertThat(row.getOpenedAt()).isEqualTo(t(2));
        assertThat(row.getClosedAt()).isNull();
    }

    @Test
    void ipv6AndV4MappedSocketsAreKeyedInTheirContractTextForms() {
        Sock v6 = sock("host-a", "2001:db8::1", 40000, "2001:db8::2", 443, 21);
        Sock mapped = sock("host-a", "::ffff:10.0.0.1", 40002, "::ffff:10.0.0.2", 80, 22);
        f.connect(v6, t(0));
        f.connect(mapped, t(0));
        assertThat(f.table()).containsKeys("host-a|4026531833|2001:db8::1|40000|2001:db8::2|443|21",
                "host-a|4026531833|::ffff:10.0.0.1|40002|::ffff:10.0.0.2|80|22");
        assertThat(f.row(v6).getLaddr()).isEqualTo("2001:db8::1");
    }

    // ---- design rule 4 (windows) -----------------------------------------------------------------

    @Test
    void aConnectionOpenedAndClosedInsideOneWindowStaysUntilItsBoundaryAndIsGoneWithinOnePunctuation() {
        // opened and closed at 20:00:03.1 and .2; applied at wall 20:00:03 -> boundary 20:00:20
        f.connect(A, t(100));
        f.close(A, t(200));
        Instant boundary = Instant.parse("2026-11-26T20:00:20Z");
        f.advance(Duration.between(T0, boundary).minusMillis(1));
        assertThat(f.row(A)).as("still in the table just before the boundary").isNotNull();
        f.advance(Duration.ofSeconds(1));
        assertThat(f.table()).as("gone within one punctuation interval after the boundary").doesNotContainKey(A.id());
        assertThat(f.changes().get(f.changes().size() - 1).value).as("a tombstone").isNull();
        assertThat(f.metrics.count("conntrail.topology.rows.expired")).isEqualTo(1);
    }

    @Test
    void wallClockAdvanceAloneExpiresClosedRows() {
        f.close(A, t(0));
        assertThat(f.row(A)).isNotNull();
        for (int i = 0; i < 20; i++) {
            f.advance(Duration.ofSeconds(1)); // no input at all
        }
        assertThat(f.table()).isEmpty();
    }

    @Test
    void theTombstoneBoundaryCountsFromTheTimeTheCloseWasAppliedWhenThatIsLater() {
        // a CLOSE from a minute ago, applied now (20:00:03): boundary 20:00:20, not 19:59:20
        f.close(A, T0.minusSeconds(60));
        f.advance(Duration.ofSeconds(16));
        assertThat(f.row(A)).isNotNull();
        f.advance(Duration.ofSeconds(2));
        assertThat(f.table()).doesNotContainKey(A.id());
    }

    @Test
    void openRowsNeverExpire() {
        f.connect(A, t(0));
        for (int i = 0; i < 5; i++) {
            f.heartbeat("host-a", t(i * 5000L));
            f.advance(Duration.ofSeconds(5));
        }
        assertThat(f.row(A).getState()).isEqualTo(ConnectionState.OPEN);
    }

    // ---- design rule 5 (convergence) -------------------------------------------------------------

    @Test
    void aRestartSnapshotClosesTheRowsItDoesNotConfirm() {
        Sock stays = sock("host-a", "10.0.0.1", 40001, "10.0.0.2", 80, 31);
        Sock gone = sock("host-a", "10.0.0.1", 40002, "10.0.0.2", 80, 32);
        Sock otherHost = sock("host-b", "10.0.1.1", 40003, "10.0.0.2", 80, 33);
        f.connect(stays, t(0));
        f.connect(gone, t(0));
        f.connect(otherHost, t(0));
        // the agent restarts (its CLOSE of `gone` was lost), snapshots, and releases held events
        f.epoch = 2;
        f.seq = 0;
        f.send(f.snapshot(stays, "snap-2", t(1000)));
        f.snapshotEnd("host-a", "snap-2", t(1001));
        assertThat(f.row(stays).getState()).isEqualTo(ConnectionState.OPEN);
        assertThat(f.row(gone).getState()).isEqualTo(ConnectionState.CLOSED);
        assertThat(f.row(gone).getCloseReason()).isEqualTo(CloseReason.NOT_IN_SNAPSHOT);
        assertThat(f.row(gone).getClosedAt()).isEqualTo(t(1001));
        assertThat(f.row(otherHost).getState()).as("another host's rows are untouched").isEqualTo(ConnectionState.OPEN);
    }

    @Test
    void anEmptySnapshotClosesAllTheHostsOpenRows() {
        f.connect(A, t(0));
        f.epoch = 2;
        f.snapshotEnd("host-a", "empty", t(10));
        assertThat(f.row(A).getCloseReason()).isEqualTo(CloseReason.NOT_IN_SNAPSHOT);
    }

    @Test
    void aRowOpenedByAnEventPublishedAfterTheSnapshotStartedIsNotClosedBySnapshotEnd() {
        Sock inSnapshot = sock("host-a", "10.0.0.1", 40001, "10.0.0.2", 80, 41);
        Sock newer = sock("host-a", "10.0.0.1", 40002, "10.0.0.2", 80, 42);
        f.epoch = 3;
        f.send(f.snapshot(inSnapshot, "snap-3", t(0)));
        // a producer that did not hold this event (e.g. the /proc fallback): seq after the snapshot's first record
        f.connect(newer, t(1));
        f.snapshotEnd("host-a", "snap-3", t(2));
        assertThat(f.row(newer).getState()).isEqualTo(ConnectionState.OPEN);
        assertThat(f.row(inSnapshot).getState()).isEqualTo(ConnectionState.OPEN);
    }

    @Test
    void aSocketClosingDuringTheSnapshotEndsClosedNotStuckOpen() {
        // design rule 1 (snapshots hold events): the producer held the CLOSE and releases it after SNAPSHOT_END
        f.send(f.snapshot(A, "s", t(0)));
        f.snapshotEnd("host-a", "s", t(1));
        f.close(A, t(0));
        assertThat(f.row(A).getState()).isEqualTo(ConnectionState.CLOSED);
        assertThat(f.row(A).getCloseReason()).isEqualTo(CloseReason.CLOSED);
    }

    @Test
    void hostSilentFor3WindowsIsLostAndItsOpenRowsClosedHostLost() {
        f.connect(A, t(0));
        Sock b = sock("host-b", "10.0.1.1", 40000, "10.0.0.2", 80, 51);
        f.connect(b, t(0));
        // host-b keeps sending heartbeats; host-a goes silent
        for (int i = 1; i <= 31; i++) {
            f.advance(Duration.ofSeconds(1));
            if (i % 5 == 0) f.heartbeat("host-b", t(i * 1000L));
        }
        assertThat(f.row(A).getState()).isEqualTo(ConnectionState.CLOSED);
        assertThat(f.row(A).getCloseReason()).isEqualTo(CloseReason.HOST_LOST);
        assertThat(f.row(b).getState()).isEqualTo(ConnectionState.OPEN);
        assertThat(f.metrics.count("conntrail.topology.hosts.lost.events")).isEqualTo(1);
    }

    @Test
    void heartbeatsKeepAQuietHostAlive() {
        f.connect(A, t(0));
        for (int i = 1; i <= 60; i++) {
            f.advance(Duration.ofSeconds(1));
            if (i % 5 == 0) f.heartbeat("host-a", t(i * 1000L));
        }
        assertThat(f.row(A).getState()).isEqualTo(ConnectionState.OPEN);
    }

    @Test
    void hostsAreNotJudgedLostWhileTheTaskIsBehindItsInput() {
        // the topology reads a backlog: every record it processes is minutes old, and the input's end offset
        // is far ahead of what it has processed. host-a's later records may still be in it, so host-a is
        // not declared lost however long that takes.
        FakeInputs inputs = f.observeInputs();
        inputs.backlog = 1000;
        f.connect(A, T0.minusSeconds(600));
        for (int i = 1; i <= 40; i++) {
            f.advance(Duration.ofSeconds(1));
            f.heartbeat("host-b", T0.minusSeconds(600 - i));
        }
        assertThat(f.row(A).getState()).isEqualTo(ConnectionState.OPEN);
        // caught up: the backlog is read; host-a has been silent for 40 s > 3 W
        inputs.backlog = 0;
        f.heartbeat("host-b", T0.plusSeconds(41));
        f.advance(Duration.ofSeconds(1));
        assertThat(f.row(A).getCloseReason()).isEqualTo(CloseReason.HOST_LOST);
    }

    @Test
    void aLostHostThatComesBackReopensItsSocketsWithItsNextSnapshot() {
        f.connect(A, t(0));
        f.advance(Duration.ofSeconds(31));
        assertThat(f.row(A).getCloseReason()).isEqualTo(CloseReason.HOST_LOST);
        f.send(f.snapshot(A, "after-partition", t(32000)));
        assertThat(f.row(A).getState()).isEqualTo(ConnectionState.OPEN);
        assertThat(f.row(A).getOpenedAt()).isEqualTo(t(0));
    }

    // ---- design rule 7 (NAT) ---------------------------------------------------------------------

    /** A DNAT'd connection: client 10.0.0.1:40000 -> VIP 10.96.0.10:80, translated to backend 172.17.0.5:8080. */
    static NatEntry dnat(String host, long netns, Instant seen) {
        return natEntry(host, netns, "10.0.0.1", 40000, "10.96.0.10", 80, "172.17.0.5", 8080, "10.0.0.1", 40000, seen);
    }

    static final Sock CLIENT = sock("host-a", "10.0.0.1", 40000, "10.96.0.10", 80, 61);
    static final Sock BACKEND = sock("host-a", "172.17.0.5", 8080, "10.0.0.1", 40000, 62);

    @Test
    void natEntryFirst_theInitiatorMatchesTheOriginalTuple() {
        f.sendNat(dnat("host-a", 4026531833L, t(0)));
        f.connect(CLIENT, t(1));
        Connection row = f.row(CLIENT);
        assertThat(row.getNat()).isNotNull();
        assertThat(row.getNat().getReplySrc()).isEqualTo("172.17.0.5");
        assertThat(row.getNat().getReplySport()).isEqualTo(8080);
    }

    @Test
    void connectionFirst_aLaterNatEntryUpdatesTheRow() {
        f.connect(CLIENT, t(0));
        assertThat(f.row(CLIENT).getNat()).isNull();
        f.sendNat(dnat("host-a", 4026531833L, t(1)));
        assertThat(f.row(CLIENT).getNat().getOrigDst()).isEqualTo("10.96.0.10");
        assertThat(f.metrics.count("conntrail.topology.nat.matches")).isEqualTo(1);
    }

    @Test
    void theResponderMatchesTheNatReplyTuple() {
        f.accept(BACKEND, t(0));
        f.sendNat(dnat("host-a", 4026531833L, t(1)));
        assertThat(f.row(BACKEND).getNat()).isNotNull();
        assertThat(f.row(BACKEND).getNat().getOrigDst()).as("the address the client used").isEqualTo("10.96.0.10");
    }

    @Test
    void aV4MappedSocketMatchesAnIpv4NatEntryByItsIpv4Address() {
        Sock mapped = sock("host-a", "::ffff:10.0.0.1", 40000, "::ffff:10.96.0.10", 80, 63);
        f.sendNat(dnat("host-a", 4026531833L, t(0)));
        f.connect(mapped, t(1));
        assertThat(f.row(mapped).getNat()).isNotNull();
    }

    @Test
    void amongNatEntriesTheSocketsOwnNamespaceWinsThenTheRootNamespace() {
        long own = 4026532500L;
        Sock inContainer = new Sock("host-a", own, "10.0.0.1", 40000, "10.96.0.10", 80, 64L);
        NatEntry other = dnat("host-a", 4026532999L, t(0));
        NatEntry root = dnat("host-a", 4026531833L, t(0));
        NatEntry mine = dnat("host-a", own, t(0));
        f.sendNat(other);
        f.connect(inContainer, t(1));
        assertThat(f.row(inContainer).getNat().getNetns()).isEqualTo(4026532999L);
        f.sendNat(root);
        assertThat(f.row(inContainer).getNat().getNetns()).as("root beats another namespace").isEqualTo(4026531833L);
        f.sendNat(mine);
        assertThat(f.row(inContainer).getNat().getNetns()).as("own namespace beats root").isEqualTo(own);
    }

    @Test
    void theRootNamespaceIsTheOneTheHostsHeartbeatNames() {
        long root = 4026531840L; // an older kernel's boot-time inode
        Sock inContainer = new Sock("host-a", 4026532500L, "10.0.0.1", 40000, "10.96.0.10", 80, 65L);
        f.send(TcpEvent.newBuilder(f.hostRecord(EventType.HEARTBEAT, "host-a", t(0), null)).setNetns(root).build());
        f.sendNat(dnat("host-a", 4026531833L, t(0)));
        f.sendNat(dnat("host-a", root, t(0)));
        f.connect(inContainer, t(1));
        assertThat(f.row(inContainer).getNat().getNetns()).isEqualTo(root);
    }

    @Test
    void aNatTombstoneDoesNotEraseTheNatFactsOfAClosedRow() {
        NatEntry entry = dnat("host-a", 4026531833L, t(0));
        f.sendNat(entry);
        f.connect(CLIENT, t(1));
        f.close(CLIENT, t(2));
        f.deleteNat(entry, t(3));
        assertThat(f.row(CLIENT).getNat()).isNotNull();
        assertThat(f.row(CLIENT).getState()).isEqualTo(ConnectionState.CLOSED);
        // and the entry is out of the join: a new socket on the same tuple finds no NAT
        Sock next = sock("host-a", "10.0.0.1", 40000, "10.96.0.10", 80, 66);
        f.connect(next, t(4));
        assertThat(f.row(next).getNat()).isNull();
    }

    @Test
    void aShortConnectionClosedBeforeItsNatEntryArrivedStillGetsIt() {
        f.connect(CLIENT, t(0));
        f.close(CLIENT, t(5));
        f.sendNat(dnat("host-a", 4026531833L, t(1)));
        assertThat(f.row(CLIENT).getNat()).isNotNull();
    }

    @Test
    void anotherHostsNatEntryNeverMatches() {
        f.sendNat(dnat("host-b", 4026531833L, t(0)));
        f.connect(CLIENT, t(1));
        assertThat(f.row(CLIENT).getNat()).isNull();
    }

    // ---- design rule 8 (guarantees): dead letters ------------------------------------------------

    @Test
    void undecodableInputIsDeadLetteredWithTheErrorInHeadersAndProcessingContinues() {
        byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
        f.rawEvents.pipeInput(new TestRecord<>(A.id(), garbage, t(0)));
        f.connect(A, t(1));
        assertThat(f.row(A)).as("the next record is processed").isNotNull();
        assertThat(f.metrics.count("conntrail.topology.dead.lettered", "stage", "deserialization")).isEqualTo(1);
        // TopologyTestDriver does not send a deserialization handler's dead letters (4.4), so the
        // record the handler hands to Kafka Streams is checked here; ConnectionTopologyIT checks the topic
        DeadLetterDeserializationHandler handler = new DeadLetterDeserializationHandler();
        handler.configure(Map.of(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "connections-dlq"));
        byte[] key = A.id().getBytes(StandardCharsets.UTF_8);
        ConsumerRecord<byte[], byte[]> in = new ConsumerRecord<>("tcp-events", 3, 42L, key, garbage);
        ErrorHandlerContext context = new DefaultErrorHandlerContext(null, "tcp-events", 3, 42L, new RecordHeaders(),
                ConnectionTopology.EVENTS_SOURCE, new TaskId(0, 3), 0L, key, garbage);
        DeserializationExceptionHandler.Response response = handler.handleError(context, in, new SerializationException("bad magic byte"));
        assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
        ProducerRecord<byte[], byte[]> dead = response.deadLetterQueueRecords().get(0);
        assertThat(dead.topic()).isEqualTo("connections-dlq");
        assertThat(dead.key()).isEqualTo(key);
        assertThat(dead.value()).isEqualTo(garbage);
        assertThat(new String(dead.headers().lastHeader("__streams.errors.message").value(), StandardCharsets.UTF_8)).contains("bad magic byte");
    }

    @Test
    void anUnreachableRegistryIsRetriedNeverDeadLettered() {
        DeadLetterDeserializationHandler handler = new DeadLetterDeserializationHandler();
        handler.configure(Map.of(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "connections-dlq"));
        ErrorHandlerContext context = new DefaultErrorHandlerContext(null, "tcp-events", 0, 1L, new RecordHeaders(),
                ConnectionTopology.EVENTS_SOURCE, new TaskId(0, 0), 0L, new byte[0], new byte[0]);
        DeserializationExceptionHandler.Response response = handler.handleError(context,
                new ConsumerRecord<>("tcp-events", 0, 1L, new byte[0], new byte[0]),
                new SerializationException("fetching schema 7", new java.net.ConnectException("Connection refused")));
        assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.FAIL);
        assertThat(response.deadLetterQueueRecords()).isEmpty();
    }

    @Test
    void aRecordThatBreaksTheContractIsDeadLetteredAndProcessingContinues() {
        TcpEvent noTuple = f.event(EventType.CONNECT, A, t(0));
        noTuple.setLaddr(null);
        f.events.pipeInput(A.id(), noTuple, t(0));
        f.connect(A, t(1));
        assertThat(f.dlq.readRecord().headers().lastHeader("__streams.errors.message")).isNotNull();
        assertThat(f.row(A)).isNotNull();
        assertThat(f.metrics.count("conntrail.topology.dead.lettered", "stage", "processing")).isEqualTo(1);
    }
}
