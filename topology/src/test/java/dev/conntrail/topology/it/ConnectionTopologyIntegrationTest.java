package dev.conntrail.topology.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.EventType;
import dev.conntrail.cli.UserFacingException;
import dev.conntrail.testkit.RealCluster;
import dev.conntrail.topology.TopicNames;
import dev.conntrail.topology.TopologySettings;
import dev.conntrail.topology.run.TopologyApp;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The topology on a real KRaft broker with exactly_once_v2, read back with read_committed.
 * The testkit's shared broker and Apicurio registry; the real registry serdes.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ConnectionTopologyIntegrationTest {

    static String prefix() {
        return "it" + UUID.randomUUID().toString().substring(0, 8) + "-";
    }

    static TopologyApp.Options options(String prefix, Path stateDir, Duration window) {
        return options(prefix, stateDir, window, false);
    }

    static TopologyApp.Options options(String prefix, Path stateDir, Duration window, boolean rocksdb) {
        Map<String, Object> client = TestSerdes.client();
        TopologySettings settings = TopologySettings.defaults(window).withPersistentStores(rocksdb)
                .withTopics(new TopicNames(prefix + "tcp-events", prefix + "conntrack-nat", prefix + "connections", prefix + "connections-dlq"));
        return new TopologyApp.Options(client, prefix + "app", "exactly_once_v2", stateDir, 2, (short) 1, settings, -1, Duration.ofMinutes(1));
    }

    /**
     * In-memory mode (the default): the restarted child rebuilds its rows from connections, so a
     * CLOSE after the kill closes the row opened before it (openedAt, pid and comm kept: a CLOSE
     * without a row would make a CLOSED row with neither), and a row closed before the kill still
     * gets its tombstone (W = 5 s: the tombstones come after the restart).
     */
    @Test
    void aSigkilledTopologyRestartsWithNoLostAndNoDuplicatedRowChanges() throws Exception {
        String prefix = prefix();
        Path state = Files.createTempDirectory("conntrail-it-state");
        Kit kit = new Kit(prefix, 2);
        ChurnLoad load = new ChurnLoad(kit, 1500);
        Process first = startChild(prefix, state);
        Process second = null;
        try {
            load.start();
            // kill it mid-stream: once some changes are committed, the rest still to come
            List<ConsumerRecord<String, byte[]>> some = kit.readCommitted(prefix + "connections", 200, Duration.ofSeconds(90));
            assertThat(some).hasSizeGreaterThanOrEqualTo(200);
            assertThat(load.done()).as("killed mid-stream").isFalse();
            first.destroyForcibly(); // SIGKILL
            first.waitFor();
            Instant killedAt = Instant.now();
            second = startChild(prefix, state);
            load.join();
            ChurnLoad.Outcome outcome = load.verify(prefix + "connections", killedAt);
            assertThat(outcome.closedAfterTheFault()).as("sockets opened before the kill and closed after it").isPositive();
            assertThat(outcome.tombstonedAfterTheFault()).as("rows closed before the kill, tombstoned after it").isPositive();
            second.destroy(); // SIGTERM: the shutdown hook closes Streams cleanly, then the JVM exits
            assertThat(second.waitFor(40, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
        } finally {
            first.destroyForcibly();
            if (second != null) {
                second.destroy(); // SIGTERM: clean stop
                second.waitFor(30, TimeUnit.SECONDS);
                second.destroyForcibly();
            }
            kit.producer.close();
        }
    }

    @Test
    void aTopologyRestartDoesNotDeclareLiveHostsLostButStillFindsTheDeadOne() throws Exception {
        String prefix = prefix();
        Path state = Files.createTempDirectory("conntrail-it-state");
        Duration w = Duration.ofSeconds(2);
        Kit kit = new Kit(prefix, 2);
        // RocksDB here (the default in-memory stores run in the other tests): the host prefix scan on disk
        TopologyApp app = TopologyApp.start(options(prefix, state, w, true));
        AtomicBoolean stop = new AtomicBoolean();
        Thread heartbeats = new Thread(() -> {
            while (!stop.get()) {
                kit.send(kit.hostEvent(EventType.HEARTBEAT, "alive", Instant.now()));
                kit.producer.flush();
                sleep(500);
            }
        });
        try {
            kit.send(kit.event(EventType.CONNECT, "alive", 30001, Instant.now()));
            kit.send(kit.event(EventType.CONNECT, "dead", 30002, Instant.now()));
            kit.producer.flush();
            heartbeats.start();
            assertThat(kit.readCommitted(prefix + "connections", 2, Duration.ofSeconds(60))).hasSize(2);
            app.close();
            Thread.sleep(4 * w.toMillis()); // down for longer than 3 W; "alive" keeps sending
            app = TopologyApp.start(options(prefix, state, w, true));
            List<ConsumerRecord<String, byte[]>> changes = kit.readCommitted(prefix + "connections", 3, Duration.ofSeconds(60));
            Thread.sleep(3 * w.toMillis());
            changes = kit.readCommitted(prefix + "connections", changes.size(), Duration.ofSeconds(10));
            Map<String, CloseReason> lastReason = new HashMap<>();
            for (ConsumerRecord<String, byte[]> r : changes) {
                Connection c = kit.decode(r);
                if (c != null) lastReason.put(c.getHost(), c.getCloseReason());
            }
            assertThat(lastReason.get("dead")).as("the silent host is found lost after the restart").isEqualTo(CloseReason.HOST_LOST);
            assertThat(lastReason).as("the live host is not").containsEntry("alive", null);
        } finally {
            stop.set(true);
            heartbeats.join();
            app.close();
            kit.producer.close();
        }
    }

    @Test
    void topicsAreCreatedWithTheContractsConfigsAndUndecodableInputIsDeadLettered() throws Exception {
        String prefix = prefix();
        Kit kit = new Kit(prefix, 2);
        try (TopologyApp app = TopologyApp.start(options(prefix, Files.createTempDirectory("conntrail-it-state"), Duration.ofSeconds(10))); Admin admin = Admin.create(TestSerdes.client())) {
            Map<String, String> expected = Map.of("tcp-events", "delete", "conntrack-nat", "compact", "connections", "compact",
                    "connections-dlq", "delete");
            for (var e : expected.entrySet()) {
                ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, prefix + e.getKey());
                Config c = admin.describeConfigs(Set.of(r)).all().get().get(r);
                assertThat(c.get("cleanup.policy").value()).as(e.getKey()).isEqualTo(e.getValue());
                assertThat(admin.describeTopics(Set.of(prefix + e.getKey())).allTopicNames().get().get(prefix + e.getKey())
                        .partitions()).hasSize(2);
            }
            Config events = admin.describeConfigs(Set.of(new ConfigResource(ConfigResource.Type.TOPIC, prefix + "tcp-events"))).all().get()
                    .values().iterator().next();
            assertThat(events.get("retention.ms").value()).isEqualTo("86400000");
            Config connections = admin.describeConfigs(Set.of(new ConfigResource(ConfigResource.Type.TOPIC, prefix + "connections"))).all()
                    .get().values().iterator().next();
            assertThat(Long.parseLong(connections.get("min.compaction.lag.ms").value())).isPositive();

            byte[] garbage = "definitely not avro".getBytes(StandardCharsets.UTF_8);
            kit.sendRaw("h|1|10.0.0.1|1|10.0.0.2|2|3", garbage);
            kit.send(kit.event(EventType.CONNECT, "h", 40000, Instant.now()));
            kit.producer.flush();
            List<ConsumerRecord<String, byte[]>> dead = kit.readCommitted(prefix + "connections-dlq", 1, Duration.ofSeconds(60));
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0).value()).isEqualTo(garbage);
            assertThat(dead.get(0).headers().lastHeader("__streams.errors.exception")).isNotNull();
            assertThat(kit.readCommitted(prefix + "connections", 1, Duration.ofSeconds(60))).as("processing continued").hasSize(1);
        } finally {
            kit.producer.close();
        }
    }

    @Test
    void anUnreachableRegistryIsRetriedNeverDeadLetteredAndStopsTheTopologyAfterItsTimeout() throws Exception {
        String prefix = prefix();
        Kit kit = new Kit(prefix, 2);
        TopologyApp.Options o = options(prefix, Files.createTempDirectory("conntrail-it-state"), Duration.ofSeconds(10));
        Map<String, Object> client = new HashMap<>(o.clientProperties());
        client.put("schema.registry.url", "http://127.0.0.1:1"); // nothing listens on port 1
        client.put("session.timeout.ms", 6000); // a replaced stream thread gets its tasks back after the old member's session
        o = new TopologyApp.Options(client, o.applicationId(), o.processingGuarantee(), o.stateDir(), o.partitions(), o.replicationFactor(),
                o.settings(), -1, Duration.ofSeconds(4));
        try (TopologyApp app = TopologyApp.start(o)) {
            kit.send(kit.event(EventType.CONNECT, "h", 40000, Instant.now())); // its schema id must be fetched from the registry
            kit.producer.flush();
            assertThat(app.awaitStop(Duration.ofSeconds(60))).as("stops by itself").isTrue();
            assertThat(app.fatalError()).contains("schema registry has been unreachable").contains("--schema-registry-url");
            assertThat(app.metrics().count("conntrail.topology.registry.unreachable")).isGreaterThanOrEqualTo(2);
        } finally {
            kit.producer.close();
        }
        assertThat(kit.readCommitted(prefix + "connections-dlq", 1, Duration.ofSeconds(3))).as("never dead-lettered").isEmpty();
    }

    @Test
    void inputsWithDifferentPartitionCountsStopTheStartWithAClearMessage() throws Exception {
        String prefix = prefix();
        try (Admin admin = Admin.create(TestSerdes.client())) {
            admin.createTopics(List.of(new NewTopic(prefix + "tcp-events", 2, (short) 1), new NewTopic(prefix + "conntrack-nat", 3, (short) 1)))
                    .all().get();
        }
        assertThatThrownBy(() -> TopologyApp.start(options(prefix, Files.createTempDirectory("s"), Duration.ofSeconds(10))))
                .isInstanceOf(UserFacingException.class).hasMessageContaining("same partition count").hasMessageContaining("3 partitions");
    }

    @Test
    void aConnectionsTopicWithAnotherPartitionCountThanTheInputsStopsTheStartWithAClearMessage() throws Exception {
        String prefix = prefix();
        try (Admin admin = Admin.create(TestSerdes.client())) {
            admin.createTopics(List.of(new NewTopic(prefix + "tcp-events", 2, (short) 1), new NewTopic(prefix + "connections", 3, (short) 1)))
                    .all().get();
        }
        assertThatThrownBy(() -> TopologyApp.start(options(prefix, Files.createTempDirectory("s"), Duration.ofSeconds(10))))
                .isInstanceOf(UserFacingException.class).hasMessageContaining(prefix + "connections has 3 partitions")
                .hasMessageContaining("recreate " + prefix + "connections with 2 partitions");
    }

    static Process startChild(String prefix, Path state) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"), TopologyChild.class.getName(),
                RealCluster.broker().bootstrapServers(), state.toString(), prefix + "app", "5", prefix, RealCluster.registry().url())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (!"started".equals(line)) {
            p.destroyForcibly();
            throw new IllegalStateException("child topology did not start: " + line);
        }
        return p;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
