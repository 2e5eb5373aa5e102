package dev.conntrail.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.broker.EmbeddedKafkaCluster;
import dev.conntrail.testkit.TopicToEnd;
import dev.conntrail.testkit.RealCluster;
import dev.conntrail.testkit.Root;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The producer's default host id on a host whose name does not resolve, and on one whose name every host shares:
 * the real command in a JVM of its own, in a UTS namespace of its own ({@code unshare --uts}) with that hostname.
 * Root (CI is root).
 */
class ProducerHostIdKernelTest {
    /** `conntrail producer ARGS` with the kernel hostname {@code hostname}; waits for it. */
    static ChildConntrail.Run producerNamed(String hostname, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("unshare", "--uts", "sh", "-c", "hostname \"$0\" && exec \"$@\"", hostname,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "producer"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> ChildConntrail.readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> ChildConntrail.readAll(p.getErrorStream()));
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        return new ChildConntrail.Run(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aHostnameThatDoesNotResolveIsStillTheHostId() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root) for a UTS namespace");
        EmbeddedKafkaCluster broker = RealCluster.broker();
        String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        String name = "ct-nodns-" + suffix;
        String events = "tcp-events-hid-" + suffix;
        String nat = "conntrack-nat-hid-" + suffix;
        broker.createTopics(1, events, nat);
        try {
            boolean resolves;
            try {
                InetAddress.getByName(name);
                resolves = true;
            } catch (UnknownHostException expected) {
                resolves = false;
            }
            assertThat(resolves).as(name + " resolves here").isFalse();
            ChildConntrail.Run run = producerNamed(name, "--bootstrap-servers", broker.bootstrapServers(), "--schema-registry-url",
                    "mock://hid-" + suffix, "--no-bpf", "--conntrack-netns", "off", "--metrics-port", "-1", "--events-topic", events,
                    "--nat-topic", nat, "--duration", "3s", "--heartbeat-interval", "1s");
            assertThat(run.exit()).as(run.err()).isZero();
            assertThat(run.err()).contains("conntrail producer " + name + " ");
            // HEARTBEAT and SNAPSHOT_END are keyed by the host alone
            assertThat(keys(broker, events)).contains(name).noneMatch(k -> k.equals("localhost") || k.startsWith("localhost|"));
        } finally {
            broker.deleteTopics(events, nat);
        }
    }

    @Test
    void aHostnameHostsShareIsRefusedAskingForHostId() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root) for a UTS namespace");
        ChildConntrail.Run run = producerNamed("localhost", "--bootstrap-servers", "127.0.0.1:1", "--no-bpf", "--metrics-port", "-1");
        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).contains("this host's name is 'localhost', which does not tell hosts apart")
                .contains("pass --host-id (or CONNTRAIL_HOST_ID)");
    }

    static Set<String> keys(EmbeddedKafkaCluster broker, String topic) {
        Set<String> keys = new HashSet<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrapServers()),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicToEnd.read(c, topic, Duration.ofSeconds(10)).forEach(r -> keys.add(r.key()));
        }
        return keys;
    }
}
