package dev.conntrail.topology.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.EventType;
import dev.conntrail.testkit.RealCluster;
import dev.conntrail.topology.errors.DeadLetters;
import dev.conntrail.topology.run.TopologyApp;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Design rule 8 (guarantees): a schema registry that fails for a while loses no input. The topology
 * runs on the real broker against the real Apicurio registry behind {@link FaultyRegistry}, which
 * answers 503, 429, 401, or 404 for schema ids it knows, for a few seconds and then forwards; the
 * producer side writes straight to the real registry. Records written meanwhile must end as rows of
 * {@code connections}, and nothing may reach the dead-letter topic. Bytes that can never decode
 * still do, with their reason.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RegistryFaultsIntegrationTest {
    @TempDir
    java.nio.file.Path state;

    private static final int SOCKETS = 12;

    private TopologyApp start(String prefix, FaultyRegistry registry, Duration unknownIdGrace) throws Exception {
        TopologyApp.Options o = ConnectionTopologyIntegrationTest.options(prefix, Files.createTempDirectory(state, "s"),
                Duration.ofSeconds(10));
        Map<String, Object> client = new HashMap<>(o.clientProperties());
        client.put("schema.registry.url", registry.url());
        o = new TopologyApp.Options(client, o.applicationId(), o.processingGuarantee(), o.stateDir(), o.partitions(), o.replicationFactor(),
                o.settings(), -1, Duration.ofSeconds(60), unknownIdGrace);
        return TopologyApp.start(o);
    }

    /** The table as a read_committed reader sees it once {@code rows} rows are there (or the patience ran out). */
    private static Map<String, Connection> table(Kit kit, String prefix, int rows) {
        Map<String, Connection> table = new HashMap<>();
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (table.size() < rows && System.nanoTime() < until) {
            table.clear();
            for (ConsumerRecord<String, byte[]> r : kit.readCommitted(prefix + "connections", rows, Duration.ofSeconds(10))) {
                Connection c = kit.decode(r);
                if (c == null) table.remove(r.key());
                else table.put(r.key(), c);
            }
        }
        return table;
    }

    @ParameterizedTest(name = "registry answers {0} for 4 s")
    @ValueSource(ints = {503, 429, 401, 404})
    void recordsReadWhileTheRegistryFailsEndAsRowsAndNothingIsDeadLettered(int status) throws Exception {
        String prefix = ConnectionTopologyIntegrationTest.prefix();
        Kit kit = new Kit(prefix, 2);
        try (FaultyRegistry registry = new FaultyRegistry(RealCluster.registry().url())) {
            registry.fail(status, Duration.ofSeconds(4));
            try (TopologyApp app = start(prefix, registry, Duration.ofSeconds(15))) {
                for (int i = 0; i < SOCKETS; i++) {
                    kit.send(kit.event(EventType.CONNECT, "h" + status + "-" + (i % 3), 41000 + i, Instant.now()));
                }
                kit.producer.flush();
                Map<String, Connection> table = table(kit, prefix, SOCKETS);
                assertThat(table).as("every record read while the registry answered %d is a row", status).hasSize(SOCKETS);
                assertThat(table.values()).allMatch(c -> c.getState() == ConnectionState.OPEN && "it".equals(c.getComm()));
                assertThat(registry.failed.get()).as("the registry did fail the topology's calls").isPositive();
                assertThat(app.metrics().count("conntrail.topology.registry.unreachable")).as("retried, counted").isPositive();
                assertThat(app.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
                assertThat(app.metrics().count("conntrail.topology.dead.lettered")).isZero();
                assertThat(app.registryFailingForMillis()).as("no call waits any more").isEqualTo(-1);
            }
            assertThat(kit.readCommitted(prefix + "connections-dlq", 1, Duration.ofSeconds(3))).as("nothing dead-lettered").isEmpty();
        } finally {
            kit.producer.close();
        }
    }

    /**
     * The stream thread waits for the registry with the task's transaction open (events keep coming
     * while the first NAT entry's schema cannot be fetched), longer than exactly_once_v2's 10 s
     * transaction timeout: the broker aborts that transaction, and what it held is processed again.
     */
    @Test
    void anOutageLongerThanTheTransactionTimeoutLosesNothing() throws Exception {
        String prefix = ConnectionTopologyIntegrationTest.prefix();
        Kit kit = new Kit(prefix, 2);
        var nats = TestSerdes.forValues(dev.conntrail.avro.NatEntry.class).serializer();
        try (FaultyRegistry registry = new FaultyRegistry(RealCluster.registry().url());
             TopologyApp app = start(prefix, registry, Duration.ofSeconds(15))) {
            int sockets = 0;
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            boolean natSent = false;
            while (System.nanoTime() < until) {
                kit.send(kit.event(EventType.CONNECT, "long", 43000 + sockets++, Instant.now()));
                kit.producer.flush();
                if (!natSent && sockets == 20) {
                    registry.fail(503, Duration.ofSeconds(14));
                    var n = dev.conntrail.avro.NatEntry.newBuilder().setHost("long").setNetns(1L).setZone(0).setTimestamp(Instant.now())
                            .setFamily(dev.conntrail.avro.Family.IPV4).setOrigSrc("10.0.0.1").setOrigSport(1).setOrigDst("10.0.0.2")
                            .setOrigDport(2).setReplySrc("10.0.0.3").setReplySport(3).setReplyDst("10.0.0.1").setReplyDport(1).build();
                    String key = dev.conntrail.schemas.Keys.of(n);
                    kit.producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(prefix + "conntrack-nat", kit.partitionOf(key), key,
                            nats.serialize(prefix + "conntrack-nat", n)));
                    natSent = true;
                }
                Thread.sleep(100);
            }
            kit.producer.flush();
            Map<String, Connection> table = table(kit, prefix, sockets);
            assertThat(table).hasSize(sockets);
            assertThat(registry.failed.get()).isPositive();
            assertThat(app.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(app.metrics().count("conntrail.topology.dead.lettered")).isZero();
        } finally {
            kit.producer.close();
        }
    }

    @Test
    void bytesThatCanNeverDecodeAreStillDeadLetteredWithTheirReason() throws Exception {
        String prefix = ConnectionTopologyIntegrationTest.prefix();
        Kit kit = new Kit(prefix, 2);
        try (FaultyRegistry registry = new FaultyRegistry(RealCluster.registry().url());
             TopologyApp app = start(prefix, registry, Duration.ofSeconds(2))) {
            byte[] garbage = "definitely not avro".getBytes(StandardCharsets.UTF_8);
            byte[] unknownId = ByteBuffer.allocate(9).put((byte) 0).putInt(987_654_321).putInt(42).array();
            kit.sendRaw("h|1|10.0.0.1|1|10.0.0.2|2|3", garbage);
            kit.sendRaw("h|1|10.0.0.1|1|10.0.0.2|2|4", unknownId); // the registry answers 404 for it for the whole 2 s grace
            kit.send(kit.event(EventType.CONNECT, "h", 42000, Instant.now()));
            kit.producer.flush();
            List<ConsumerRecord<String, byte[]>> dead = kit.readCommitted(prefix + "connections-dlq", 2, Duration.ofSeconds(60));
            Map<String, String> reasons = new HashMap<>();
            for (ConsumerRecord<String, byte[]> r : dead) {
                assertThat(r.headers().lastHeader("__streams.errors.exception")).isNotNull();
                reasons.put(r.key(), new String(r.headers().lastHeader(DeadLetters.REASON_HEADER).value(), StandardCharsets.UTF_8));
            }
            assertThat(reasons).containsEntry("h|1|10.0.0.1|1|10.0.0.2|2|3", "bad-magic-byte")
                    .containsEntry("h|1|10.0.0.1|1|10.0.0.2|2|4", "unknown-schema-id");
            assertThat(table(kit, prefix, 1)).as("processing went on").hasSize(1);
            assertThat(app.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
        } finally {
            kit.producer.close();
        }
    }
}
