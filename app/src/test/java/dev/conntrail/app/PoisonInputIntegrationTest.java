package dev.conntrail.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.cli.Cli;
import dev.conntrail.schemas.HostPartitioner;
import dev.conntrail.schemas.Keys;
import dev.conntrail.schemas.serde.ConfluentAvroDeserializer;
import dev.conntrail.schemas.serde.ConfluentAvroSerializer;
import dev.conntrail.testkit.RealCluster;
import dev.conntrail.topology.TopicNames;
import dev.conntrail.topology.TopologySettings;
import dev.conntrail.topology.errors.DeadLetters;
import dev.conntrail.topology.run.TopologyApp;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Design rule 8 (guarantees) end to end, all real: the in-JVM KRaft broker, the Apicurio registry, the
 * topology (exactly_once_v2), and {@code conntrail table} run as a command. Garbage, records of the
 * wrong type, tombstones where none belong, oversized records and records keyed by another host are
 * written to all three topics while valid records flow. The table must be what the valid records
 * make it, every poison record on the inputs must be in the dead-letter topic with its reason, the
 * topology must still run (and restart over the poison on {@code connections}), and
 * {@code conntrail table} must still show the valid rows.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PoisonInputIntegrationTest {
    private static final int PARTITIONS = 2;
    private static final String HOST = "good";
    /** Another host of the good host's partition: its records reach the same task, so only the host check stands between them. */
    private static final String VICTIM = samePartitionAs(HOST);
    private static final int SOCKETS = 10;

    private final String prefix = "poison" + UUID.randomUUID().toString().substring(0, 8) + "-";
    private final String events = prefix + "tcp-events";
    private final String nat = prefix + "conntrack-nat";
    private final String connections = prefix + "connections";
    private final String dlq = prefix + "connections-dlq";
    private final Map<String, Object> client = new HashMap<>(RealCluster.clientConfig());
    private final ConfluentAvroSerializer values = new ConfluentAvroSerializer();
    private long seq;
    @TempDir
    Path state;

    private static String samePartitionAs(String host) {
        for (int i = 0; ; i++) {
            if (HostPartitioner.partitionFor("victim-" + i, PARTITIONS) == HostPartitioner.partitionFor(host, PARTITIONS)) return "victim-" + i;
        }
    }

    private TopologyApp.Options options(Path state) {
        Map<String, Object> c = new HashMap<>(client);
        c.put("session.timeout.ms", 6000);
        TopologySettings settings = TopologySettings.defaults(Duration.ofSeconds(10))
                .withTopics(new TopicNames(events, nat, connections, dlq));
        return new TopologyApp.Options(c, prefix + "app", "exactly_once_v2", state, PARTITIONS, (short) 1, settings, -1,
                Duration.ofMinutes(1), Duration.ofSeconds(2));
    }

    private TcpEvent event(EventType type, String host, int port) {
        return TcpEvent.newBuilder().setHost(host).setAgentEpoch(1).setSeq(++seq).setType(type).setTimestamp(Instant.now())
                .setNetns(4026531833L).setFamily(Family.IPV4).setLaddr("10.0.0.1").setLport(port).setRaddr("10.0.0.2").setRport(80)
                .setCookie((long) port).setSource(Source.EBPF).setPid(type == EventType.CLOSE ? null : port)
                .setComm(type == EventType.CLOSE ? null : "it").build();
    }

    private static NatEntry natEntry(String host, int port) {
        return NatEntry.newBuilder().setHost(host).setNetns(4026531833L).setZone(0).setTimestamp(Instant.now()).setFamily(Family.IPV4)
                .setOrigSrc("10.0.0.1").setOrigSport(port).setOrigDst("10.0.0.2").setOrigDport(80)
                .setReplySrc("10.9.9.9").setReplySport(8080).setReplyDst("10.0.0.1").setReplyDport(port).build();
    }

    /** A record keyed as given, in the key's host partition (as every producer writes). */
    private void send(KafkaProducer<String, byte[]> p, String topic, String key, byte[] value) {
        int partition = key == null ? 0 : HostPartitioner.partitionFor(key, PARTITIONS);
        p.send(new ProducerRecord<>(topic, partition, key, value));
    }

    private byte[] avro(String topic, Object record) {
        return values.serialize(topic, record);
    }

    @Test
    void poisonOnEveryTopicIsDeadLetteredOrSkippedWhileTheTableStaysRightAndEverythingKeepsRunning() throws Exception {
        values.configure(client, false);
        Map<String, Object> pp = new HashMap<>(client);
        pp.put("acks", "all");
        TopologyApp app = TopologyApp.start(options(state)); // creates the four topics
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer())) {
            // the victim's open row, and the good host's first half
            TcpEvent victimOpen = event(EventType.CONNECT, VICTIM, 30000);
            send(p, events, Keys.of(victimOpen), avro(events, victimOpen));
            for (int i = 0; i < SOCKETS / 2; i++) {
                TcpEvent e = event(EventType.CONNECT, HOST, 20000 + i);
                send(p, events, Keys.of(e), avro(events, e));
            }
            NatEntry goodNat = natEntry(HOST, 20000);
            send(p, nat, Keys.of(goodNat), avro(nat, goodNat));

            // ---- poison on tcp-events
            TcpEvent sample = event(EventType.CONNECT, HOST, 29999);
            String sampleId = Keys.of(sample);
            byte[] sampleBytes = avro(events, sample);
            send(p, events, sampleId, "not avro at all".getBytes(StandardCharsets.UTF_8));          // bad-magic-byte
            send(p, events, sampleId, Arrays.copyOf(sampleBytes, sampleBytes.length - 6));          // malformed
            send(p, events, sampleId, null);                                                        // null-value
            send(p, events, sampleId, avro(nat, natEntry(HOST, 29999)));                            // wrong-type
            TcpEvent hugeComm = event(EventType.CONNECT, HOST, 29998);
            hugeComm.setComm("x".repeat(900_000));
            send(p, events, Keys.of(hugeComm), avro(events, hugeComm));                             // field-too-long (0.9 MB)
            TcpEvent forgedEnd = TcpEvent.newBuilder().setHost(VICTIM).setAgentEpoch(1).setSeq(++seq).setType(EventType.SNAPSHOT_END)
                    .setTimestamp(Instant.now()).setSource(Source.SNAPSHOT).setSnapshotId("forged").build();
            send(p, events, HOST, avro(events, forgedEnd));                                         // host-mismatch

            // ---- poison on conntrack-nat
            send(p, nat, Keys.of(goodNat), "\u0000\u0000garbage".getBytes(StandardCharsets.UTF_8)); // malformed or unknown id
            send(p, nat, Keys.of(goodNat), avro(events, event(EventType.CONNECT, HOST, 29997)));    // wrong-type
            NatEntry hugeNat = natEntry(HOST, 29996);
            hugeNat.setReplySrc("f".repeat(900_000));
            send(p, nat, Keys.of(hugeNat), avro(nat, hugeNat));                                     // field-too-long
            NatEntry otherHosts = natEntry(VICTIM, 29995);
            send(p, nat, Keys.of(natEntry(HOST, 29995)), avro(nat, otherHosts));                    // host-mismatch

            // ---- poison on connections (never written by the topology: the restore and the table must skip it)
            Connection hugeRow = Connection.newBuilder().setHost(HOST).setNetns(1L).setFamily(Family.IPV4).setLaddr("10.0.0.1")
                    .setLport(1).setRaddr("10.0.0.2").setRport(2).setCookie(3L).setComm("c".repeat(900_000))
                    .setState(ConnectionState.OPEN).setUpdatedAt(Instant.now()).build();
            send(p, connections, HOST + "|1|10.0.0.1|1|10.0.0.2|2|3", avro(connections, hugeRow));
            send(p, connections, HOST + "|1|10.0.0.1|1|10.0.0.2|2|4", "garbage on connections".getBytes(StandardCharsets.UTF_8));
            send(p, connections, HOST + "|1|10.0.0.1|1|10.0.0.2|2|5", avro(events, sample));

            // the good host's second half, after the poison
            for (int i = SOCKETS / 2; i < SOCKETS; i++) {
                TcpEvent e = event(EventType.CONNECT, HOST, 20000 + i);
                send(p, events, Keys.of(e), avro(events, e));
            }
            p.flush();

            Map<String, Connection> table = awaitTable(SOCKETS + 1, Duration.ofSeconds(90));
            checkTable(table);
            assertThat(table.get(Keys.of(event(EventType.CONNECT, HOST, 20000))).getNat()).as("the valid NAT entry joined").isNotNull();

            List<ConsumerRecord<byte[], byte[]>> dead = awaitDeadLetters(10, Duration.ofSeconds(60));
            Map<String, List<String>> reasonsByTopic = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : dead) {
                String topic = header(r, "__streams.errors.topic");
                reasonsByTopic.computeIfAbsent(topic, t -> new ArrayList<>()).add(header(r, DeadLetters.REASON_HEADER));
                assertThat(header(r, "__streams.errors.exception")).isNotBlank();
            }
            assertThat(reasonsByTopic.get(events)).containsExactlyInAnyOrder("bad-magic-byte", "malformed", "null-value", "wrong-type",
                    "field-too-long", "host-mismatch");
            assertThat(reasonsByTopic.get(nat)).hasSize(4).contains("wrong-type", "field-too-long", "host-mismatch")
                    .containsAnyOf("malformed", "unknown-schema-id"); // 0x00 0x00 'g' 'a': an id the registry does not know
            assertThat(reasonsByTopic).containsOnlyKeys(events, nat);
            assertThat(app.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);

            // a restart rebuilds the rows from connections, over the poison there; a CLOSE after it closes a row opened before it
            app.close();
            app = TopologyApp.start(options(state));
            TcpEvent close = event(EventType.CLOSE, HOST, 20001);
            send(p, events, Keys.of(close), avro(events, close));
            p.flush();
            Map<String, Connection> after = awaitTable(SOCKETS + 1, Duration.ofSeconds(90), c -> c.getState() == ConnectionState.CLOSED);
            Connection closed = after.get(Keys.of(close));
            assertThat(closed.getState()).isEqualTo(ConnectionState.CLOSED);
            assertThat(closed.getOpenedAt()).as("restored, not a CLOSE without a row").isNotNull();
            assertThat(closed.getComm()).isEqualTo("it");
            assertThat(app.metrics().count("conntrail.topology.rows.restore.skipped")).as("three records of connections skipped per restore")
                    .isGreaterThanOrEqualTo(3);
            assertThat(app.metrics().count("conntrail.topology.rows.restore.skipped", "reason", "field-too-long")).isPositive();
            assertThat(app.metrics().count("conntrail.topology.rows.restore.skipped", "reason", "undecodable")).isPositive();
            assertThat(app.metrics().count("conntrail.topology.rows.restore.skipped", "reason", "wrong-type")).isPositive();
            assertThat(app.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);

            // conntrail table, as a command, over the same topic
            TableRun run = table();
            assertThat(run.exit).isZero();
            List<String> rowIds = new ArrayList<>();
            for (String line : run.out.split("\n")) {
                if (line.startsWith("{\"record\":\"Connection\"") && !line.contains("\"deleted\":true")) {
                    rowIds.add(line.substring(line.indexOf("\"id\":\"") + 6, line.indexOf("\",", line.indexOf("\"id\":\""))));
                }
            }
            for (int i = 0; i < SOCKETS; i++) {
                assertThat(rowIds).contains(Keys.of(event(EventType.CONNECT, HOST, 20000 + i)));
            }
            assertThat(rowIds).contains(Keys.of(victimOpen));
            assertThat(run.err).contains("skipped 2 records of " + connections);
        } finally {
            app.close();
            RealCluster.broker().deleteTopics(events, nat, connections, dlq);
        }
    }

    private void checkTable(Map<String, Connection> table) {
        for (int i = 0; i < SOCKETS; i++) {
            Connection c = table.get(Keys.of(event(EventType.CONNECT, HOST, 20000 + i)));
            assertThat(c).as("row of socket %d", i).isNotNull();
            assertThat(c.getState()).isEqualTo(ConnectionState.OPEN);
            assertThat(c.getComm()).isEqualTo("it");
        }
        assertThat(table.get(Keys.of(event(EventType.CONNECT, VICTIM, 30000))).getState())
                .as("the forged SNAPSHOT_END did not close the victim's row").isEqualTo(ConnectionState.OPEN);
        assertThat(table).as("no row from poison").containsOnlyKeys(tableKeys());
    }

    private List<String> tableKeys() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < SOCKETS; i++) keys.add(Keys.of(event(EventType.CONNECT, HOST, 20000 + i)));
        keys.add(Keys.of(event(EventType.CONNECT, VICTIM, 30000)));
        return keys;
    }

    private Map<String, Connection> awaitTable(int rows, Duration patience) {
        return awaitTable(rows, patience, c -> true);
    }

    /** The rows the topology wrote (read_committed; records that are not its rows ignored), once {@code rows} are there and one matches. */
    private Map<String, Connection> awaitTable(int rows, Duration patience, java.util.function.Predicate<Connection> oneMatches) {
        Map<String, Object> props = new HashMap<>(client);
        props.put("isolation.level", "read_committed");
        props.put("specific.avro.reader", "true");
        ConfluentAvroDeserializer rowValues = new ConfluentAvroDeserializer();
        rowValues.configure(props, false);
        Map<String, Connection> table = new HashMap<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = List.of(new TopicPartition(connections, 0), new TopicPartition(connections, 1));
            c.assign(tps);
            c.seekToBeginning(tps);
            long until = System.nanoTime() + patience.toNanos();
            while (System.nanoTime() < until) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.headers().lastHeader("conntrail-row-state") == null && r.value() != null) continue; // not the topology's
                    if (r.value() == null) table.remove(r.key());
                    else table.put(r.key(), (Connection) rowValues.deserialize(r.topic(), r.value()));
                }
                if (table.size() >= rows && table.values().stream().anyMatch(oneMatches)) break;
            }
        }
        return table;
    }

    private List<ConsumerRecord<byte[], byte[]>> awaitDeadLetters(int n, Duration patience) {
        Map<String, Object> props = new HashMap<>(client);
        props.put("isolation.level", "read_committed");
        List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = List.of(new TopicPartition(dlq, 0), new TopicPartition(dlq, 1));
            c.assign(tps);
            c.seekToBeginning(tps);
            long until = System.nanoTime() + patience.toNanos();
            while (System.nanoTime() < until && all.size() < n) {
                c.poll(Duration.ofMillis(200)).forEach(all::add);
            }
            for (int i = 0; i < 5; i++) c.poll(Duration.ofMillis(200)).forEach(all::add); // more would show
        }
        return all;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private record TableRun(int exit, String out, String err) {
    }

    /** {@code conntrail table --format json --duration 8s} on the test's topic, through the command line like the other app tests. */
    private TableRun table() {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter cliErr = new StringWriter();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine cl = Cli.commandLine(new Main());
            cl.setErr(new PrintWriter(cliErr, true));
            exit = cl.execute("table", "--bootstrap-servers", RealCluster.broker().bootstrapServers(), "--schema-registry-url",
                    RealCluster.registry().url(), "--topic", connections, "--format", "json", "--duration", "8s");
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        return new TableRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8) + cliErr);
    }
}
