package dev.conntrail.producer.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.broker.EmbeddedKafkaCluster;
import dev.conntrail.producer.conntrack.ConntrackReader;
import dev.conntrail.schemas.Keys;
import dev.conntrail.schemas.serde.ConfluentAvroSerializer;
import dev.conntrail.testkit.Root;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Design rule 7 (NAT) when reading the earlier NAT keys back fails at start: a real KRaft broker of
 * this test's own (stopped, then started again on the same data and port) and the kernel's
 * conntrack (root). An earlier run left a NAT key live on {@code conntrack-nat}; the agent's read at
 * start fails because the broker is down, is counted and retried; once the broker is back, the
 * stale key is tombstoned after all.
 */
class NatKeysReadBackKernelTest {
    @TempDir
    Path data;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void staleKeysAreTombstonedAfterAllWhenTheReadAtStartFailsAndALaterOneWorks() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (conntrack; CI runs as root)");
        String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        String natTopic = "conntrack-nat-" + suffix;
        String events = "tcp-events-" + suffix;
        String host = "readback-" + suffix;
        int port = freePort();
        int controller = freePort();
        Map<String, Object> broker = Map.of(
                "listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller,
                "advertised.listeners", "PLAINTEXT://127.0.0.1:" + port,
                "controller.quorum.voters", "1@127.0.0.1:" + controller);
        Map<String, Object> client = new HashMap<>();
        client.put("bootstrap.servers", "127.0.0.1:" + port);
        client.put("schema.registry.url", "mock://readback-" + suffix);

        // an earlier run published an entry (addresses of a namespace that does not exist) and stopped
        NatEntry stale = NatEntry.newBuilder().setHost(host).setNetns(1L).setZone(0).setTimestamp(Instant.now()).setFamily(Family.IPV4)
                .setOrigSrc("10.203.0.1").setOrigSport(40000).setOrigDst("10.203.0.2").setOrigDport(80).setReplySrc("10.203.0.3")
                .setReplySport(8080).setReplyDst("10.203.0.1").setReplyDport(40000).build();
        String staleKey = Keys.of(stale);
        EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start(data, broker);
        try {
            kafka.createTopics(6, natTopic, events);
            ConfluentAvroSerializer values = new ConfluentAvroSerializer();
            values.configure(client, false);
            try (KafkaProducer<String, Object> p = new KafkaProducer<>(EventPublisher.producerProperties(client), new StringSerializer(), values)) {
                p.send(new ProducerRecord<>(natTopic, staleKey, stale)).get();
            }
        } finally {
            kafka.close(); // the broker is down when the agent starts
        }

        AgentMetrics metrics = new AgentMetrics(new SimpleMeterRegistry());
        LossTracker loss = new LossTracker(metrics, Duration.ofSeconds(10));
        NatKeysReader reader = new NatKeysReader(client, natTopic, host, metrics,
                new NatKeysReader.Policy(Duration.ofSeconds(2), 40, Duration.ofMillis(300), Duration.ofSeconds(1)));
        EventPublisher publisher = new EventPublisher(AgentOptions.defaults(host, client).withTopics(events, natTopic), metrics, loss);
        NatSync nat = null;
        try {
            assertThat(reader.tryOnce()).as("the read at start fails: the broker is down").isEmpty();
            nat = NatSync.start(ConntrackReader.Scope.ROOT, publisher, loss, host, Map.of());
            assertThat(nat).as("conntrack readable (root)").isNotNull();
            reader.retryInBackground(nat::adoptEarlierKeys);
            await().atMost(Duration.ofSeconds(30)).until(() -> metrics.natKeysReadFailures() >= 3);
            assertThat(reader.done()).as("still retrying").isFalse();

            kafka = EmbeddedKafkaCluster.start(data, broker); // back, same data and port
            await().atMost(Duration.ofSeconds(60)).until(reader::done);
            publisher.flush();
            try (TopicReader in = new TopicReader(kafka.clientConfig(), client.get("schema.registry.url").toString(), natTopic)) {
                await().atMost(Duration.ofSeconds(20)).until(() -> {
                    List<ConsumerRecord<String, Object>> all = in.poll();
                    ConsumerRecord<String, Object> last = null;
                    for (ConsumerRecord<String, Object> r : all) if (r.key().equals(staleKey)) last = r;
                    return last != null && last.value() == null;
                });
            }
            assertThat(metrics.natKeysReadFailures()).isGreaterThanOrEqualTo(3);
        } finally {
            reader.close();
            if (nat != null) nat.close();
            publisher.close();
            kafka.close();
        }
    }
}
