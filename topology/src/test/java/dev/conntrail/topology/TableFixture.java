package dev.conntrail.topology;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.avro.TcpState;
import dev.conntrail.schemas.Keys;
import dev.conntrail.schemas.registry.RetryingSchemaRegistry;
import dev.conntrail.topology.errors.DeadLetters;
import dev.conntrail.topology.errors.SinkLimit;
import dev.conntrail.topology.liveness.InputProgress;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.run.ValueSerdes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The topology in a TopologyTestDriver with the contract's topics, a mocked wall clock, and
 * helpers that emit records the way a producer does (agentEpoch, increasing seq).
 * {@link #restarted()} stops the driver and starts a new one whose tasks rebuild their rows from
 * what this one published ({@link ReplayRowsRestorer}).
 *
 * <p>Liveness (design rule 5): by default the task is always read through ({@link InputProgress#SYNCHRONOUS}, true
 * of the driver). After {@link #observeInputs()} it is judged on {@link FakeInputs} (offsets read every second of
 * wall clock), so a test can make the task lag or the broker unreachable.
 */
final class TableFixture implements AutoCloseable {
    static final Duration W = Duration.ofSeconds(10);
    /** The tests' wall clock at start: 3 s into a 10 s window. */
    static final Instant T0 = Instant.parse("2026-11-26T20:00:03Z");
    /** The socket most tests follow. */
    static final Sock A = sock("host-a", "10.0.0.1", 40000, "10.0.0.2", 80, 11);
    static final TopicNames TOPICS = TopicNames.DEFAULTS;

    final TopologySettings settings;
    final TopologyMetrics metrics = new TopologyMetrics(new SimpleMeterRegistry());
    final TopologyTestDriver driver;
    final TestInputTopic<String, TcpEvent> events;
    final TestInputTopic<String, NatEntry> nat;
    final TestInputTopic<String, byte[]> rawEvents;
    final TestInputTopic<String, byte[]> rawNat;
    final SinkLimit sinkLimit;
    final Serde<TcpEvent> eventSerde;
    final Serde<NatEntry> natSerde;
    final Serde<Connection> connectionSerde;
    final TestOutputTopic<String, byte[]> out;
    /** Everything published to connections, as written (headers included): the replayed topic of a restart. */
    final List<TestRecord<String, byte[]>> published = new ArrayList<>();
    final String registryUrl;
    final Deserializer<Connection> connectionValues;
    Instant wall;
    final TestOutputTopic<byte[], byte[]> dlq;
    final Map<String, Connection> table = new LinkedHashMap<>();
    final List<KeyValue<String, Connection>> changes = new ArrayList<>();
    final Path stateDir;
    long epoch = 1;
    long seq = 0;
    /** Null: always read through; else the offsets a watcher would read. */
    FakeInputs inputs;

    TableFixture(Instant wallClock) {
        this(wallClock, TopologySettings.defaults(W).withPersistentStores(false));
    }

    TableFixture(Instant wallClock, TopologySettings settings) {
        this(wallClock, settings, SinkLimit.unlimited());
    }

    /** With a limit on the row changes the sink takes (a topic with a small max.message.bytes). */
    TableFixture(Instant wallClock, TopologySettings settings, SinkLimit sinkLimit) {
        this(wallClock, settings, "mock://ttd-" + java.util.UUID.randomUUID(), new ReplayRowsRestorer(List.of(), Map.of()), sinkLimit, null);
    }

    private TableFixture(Instant wallClock, TopologySettings settings, String registryUrl, ReplayRowsRestorer restorer, SinkLimit sinkLimit,
            FakeInputs inputs) {
        this.inputs = inputs;
        if (inputs != null) inputs.observe(wallClock.toEpochMilli());
        this.settings = settings;
        this.sinkLimit = sinkLimit;
        this.registryUrl = registryUrl;
        this.wall = wallClock;
        // the real registry serde, on an in-memory registry of this test's own
        Map<String, Object> registry = Map.of("schema.registry.url", registryUrl);
        // a schema id the in-memory registry does not know is asked again for 200 ms, not the default 5 s
        ValueSerdes serdes = ValueSerdes.registry(RetryingSchemaRegistry.Policy.of(Duration.ofSeconds(5), Duration.ofMillis(200)), null);
        Serde<TcpEvent> eventSerde = serdes.forValues(TcpEvent.class, registry);
        Serde<NatEntry> natSerde = serdes.forValues(NatEntry.class, registry);
        Serde<Connection> connectionSerde = serdes.forValues(Connection.class, registry);
        connectionValues = connectionSerde.deserializer();
        try {
            stateDir = Files.createTempDirectory("conntrail-ttd");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Properties props = StreamsSettings.of(Map.of("bootstrap.servers", "unused:9092"), "conntrail-ttd", "exactly_once_v2",
                stateDir, settings, metrics, new DeadLetters(TOPICS.deadLetters(), metrics, sinkLimit, StreamsSettings.DEFAULT_DEAD_LETTER_VALUE_BYTES));
        // the tombstone budget is per thread: an earlier fixture's spending at the same mocked instant must not count here
        ExpiryBudget.forgetThisThread();
        driver = new TopologyTestDriver(ConnectionTopology.build(settings, eventSerde, natSerde, connectionSerde, metrics, restorer,
                (partition, now) -> this.inputs == null ? InputProgress.SYNCHRONOUS.readThrough(partition, now)
                        : this.inputs.ledger.readThrough(partition, now), sinkLimit), props,
                wallClock);
        this.eventSerde = eventSerde;
        this.natSerde = natSerde;
        this.connectionSerde = connectionSerde;
        events = driver.createInputTopic(TOPICS.events(), new StringSerializer(), eventSerde.serializer());
        nat = driver.createInputTopic(TOPICS.nat(), new StringSerializer(), natSerde.serializer());
        rawEvents = driver.createInputTopic(TOPICS.events(), new StringSerializer(), new ByteArraySerializer());
        rawNat = driver.createInputTopic(TOPICS.nat(), new StringSerializer(), new ByteArraySerializer());
        out = driver.createOutputTopic(TOPICS.connections(), Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
        dlq = driver.createOutputTopic(TOPICS.deadLetters(), Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
    }

    /** A socket of a host, as the producer names it. */
    record Sock(String host, long netns, String laddr, int lport, String raddr, int rport, Long cookie) {
        String id() {
            return Keys.connectionId(host, netns, laddr, lport, raddr, rport, cookie);
        }

        Family family() {
            return laddr.contains(":") ? Family.IPV6 : Family.IPV4;
        }
    }

    /** {@code ms} after {@link #T0}. */
    static Instant t(long ms) {
        return T0.plusMillis(ms);
    }

    static Sock sock(String host, String laddr, int lport, String raddr, int rport, long cookie) {
        return new Sock(host, 4026531833L, laddr, lport, raddr, rport, cookie);
    }

    TcpEvent event(EventType type, Sock s, Instant at) {
        TcpEvent.Builder b = TcpEvent.newBuilder().setHost(s.host()).setAgentEpoch(epoch).setSeq(++seq).setType(type).setTimestamp(at)
                .setNetns(s.netns()).setFamily(s.family()).setLaddr(s.laddr()).setLport(s.lport()).setRaddr(s.raddr())
                .setRport(s.rport()).setCookie(s.cookie()).setUid(1000L).setSource(type == EventType.SNAPSHOT ? Source.SNAPSHOT : Source.EBPF);
        if (type != EventType.CLOSE) {
            b.setPid(4242).setTid(4242).setComm("curl");
        }
        return b.build();
    }

    TcpEvent snapshot(Sock s, String snapshotId, Instant at) {
        TcpEvent e = event(EventType.SNAPSHOT, s, at);
        e.setSnapshotId(snapshotId);
        e.setDirection(Direction.OUTGOING);
        e.setTcpState(TcpState.ESTABLISHED);
        return e;
    }

    TcpEvent hostRecord(EventType type, String host, Instant at, String snapshotId) {
        return TcpEvent.newBuilder().setHost(host).setAgentEpoch(epoch).setSeq(++seq).setType(type).setTimestamp(at)
                .setSource(Source.EBPF).setSnapshotId(snapshotId).build();
    }

    void send(TcpEvent... es) {
        for (TcpEvent e : es) {
            events.pipeInput(new TestRecord<>(Keys.of(e), e, e.getTimestamp()));
            if (inputs != null) inputs.processedOne();
        }
    }

    /** From now on the task is judged on offsets ({@link FakeInputs}), observed at each second of wall clock. */
    FakeInputs observeInputs() {
        inputs = new FakeInputs(settings.topics(), settings.window().toMillis());
        inputs.observe(wall.toEpochMilli());
        return inputs;
    }

    void connect(Sock s, Instant at) {
        send(event(EventType.CONNECT, s, at));
    }

    void accept(Sock s, Instant at) {
        send(event(EventType.ACCEPT, s, at));
    }

    void close(Sock s, Instant at) {
        send(event(EventType.CLOSE, s, at));
    }

    void heartbeat(String host, Instant at) {
        send(hostRecord(EventType.HEARTBEAT, host, at, null));
    }

    void snapshotEnd(String host, String snapshotId, Instant at) {
        send(hostRecord(EventType.SNAPSHOT_END, host, at, snapshotId));
    }

    static NatEntry natEntry(String host, long netns, String origSrc, int origSport, String origDst, int origDport, String replySrc,
            int replySport, String replyDst, int replyDport, Instant seenAt) {
        return NatEntry.newBuilder().setHost(host).setNetns(netns).setZone(0).setTimestamp(seenAt)
                .setFamily(origSrc.contains(":") ? Family.IPV6 : Family.IPV4)
                .setOrigSrc(origSrc).setOrigSport(origSport).setOrigDst(origDst).setOrigDport(origDport)
                .setReplySrc(replySrc).setReplySport(replySport).setReplyDst(replyDst).setReplyDport(replyDport).build();
    }

    void sendNat(NatEntry n) {
        nat.pipeInput(Keys.of(n), n, n.getTimestamp());
    }

    void deleteNat(NatEntry n, Instant at) {
        nat.pipeInput(Keys.of(n), null, at);
    }

    void advance(Duration d) {
        if (inputs == null) {
            driver.advanceWallClockTime(d);
            wall = wall.plus(d);
            return;
        }
        // the watcher checks the offsets every second, before the punctuation that follows
        while (!d.isZero()) {
            Duration step = d.compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1) : d;
            wall = wall.plus(step);
            inputs.observe(wall.toEpochMilli());
            driver.advanceWallClockTime(step);
            d = d.minus(step);
        }
    }

    /** The table as a read_committed reader of {@code connections} sees it now. */
    Map<String, Connection> table() {
        for (TestRecord<String, byte[]> r : out.readRecordsToList()) {
            published.add(r);
            Connection value = r.value() == null ? null : connectionValues.deserialize(TOPICS.connections(), r.value());
            changes.add(KeyValue.pair(r.key(), value));
            if (value == null) {
                table.remove(r.key());
            } else {
                table.put(r.key(), value);
            }
        }
        return table;
    }

    /**
     * A topology restart: this driver stops; a new one (same settings, registry, wall clock)
     * starts, and its task rebuilds its rows from everything this one published to connections,
     * its other stores from what this one held. The table view and the producer's epoch/seq go on.
     */
    TableFixture restarted() {
        return restartedAfter(Duration.ZERO);
    }

    /** As {@link #restarted()}, the new one starting {@code down} later on the wall clock (the topology was down meanwhile). */
    TableFixture restartedAfter(Duration down) {
        table();
        Map<String, List<KeyValue<String, Object>>> stores = new LinkedHashMap<>();
        for (String name : List.of(ConnectionTopology.ROW_MARKS_STORE, ConnectionTopology.NAT_STORE, ConnectionTopology.HOSTS_STORE)) {
            KeyValueStore<String, Object> store = driver.getKeyValueStore(name);
            if (store == null) continue;
            List<KeyValue<String, Object>> entries = new ArrayList<>();
            try (KeyValueIterator<String, Object> all = store.all()) {
                all.forEachRemaining(entries::add);
            }
            stores.put(name, entries);
        }
        close();
        wall = wall.plus(down);
        TableFixture next = new TableFixture(wall, settings, registryUrl, new ReplayRowsRestorer(new ArrayList<>(published), stores), sinkLimit,
                inputs == null ? null : inputs.restarted(settings.topics(), settings.window().toMillis()));
        next.published.addAll(published);
        next.table.putAll(table);
        next.changes.addAll(changes);
        next.epoch = epoch;
        next.seq = seq;
        return next;
    }

    Connection row(Sock s) {
        return table().get(s.id());
    }

    /** Row changes published so far (drains the output first). */
    List<KeyValue<String, Connection>> changes() {
        table();
        return changes;
    }

    @Override
    public void close() {
        driver.close();
    }
}
