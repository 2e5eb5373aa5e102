package dev.conntrail.app;

import dev.conntrail.cli.UserFacingException;
import dev.conntrail.producer.agent.AgentOptions;
import dev.conntrail.producer.agent.ProducerAgent;
import dev.conntrail.broker.EmbeddedKafkaCluster;
import dev.conntrail.topology.run.TopologyApp;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Everything of {@code conntrail local} but the table: an in-JVM KRaft broker, the topology (which
 * creates the topics) and the producer agent, sharing one in-JVM {@code mock://} schema registry.
 * Progress goes to {@code progress} as "starting X… ready in N s". Close stops them in reverse order.
 */
public final class LocalStack implements AutoCloseable {
    /** What {@code local} can set. */
    public record Settings(Path dataDir, int brokerPort, String registryUrl, String hostId, Duration window,
            Duration heartbeat, boolean allowBpf, int producerMetricsPort, int topologyMetricsPort) {
    }

    private final EmbeddedKafkaCluster broker;
    private final TopologyApp topology;
    private final ProducerAgent agent;
    private final String registryUrl;

    private LocalStack(EmbeddedKafkaCluster broker, TopologyApp topology, ProducerAgent agent, String registryUrl) {
        this.broker = broker;
        this.topology = topology;
        this.agent = agent;
        this.registryUrl = registryUrl;
    }

    public static LocalStack start(Settings s, PrintStream progress) {
        Path kafkaDir = s.dataDir().resolve("kafka");
        Path streamsDir = s.dataDir().resolve("streams");
        // the mock:// registry lives only as long as this JVM: data of an earlier run could not be decoded
        Path marker = s.dataDir().resolve(".conntrail-local");
        if (Files.exists(kafkaDir) || Files.exists(streamsDir)) {
            if (!Files.exists(marker)) {
                throw new UserFacingException(s.dataDir() + " has kafka/ or streams/ that `conntrail local` did not make: "
                        + "choose another --data-dir");
            }
            progress.println("removing the previous run's data in " + s.dataDir() + " (its schemas lived in that run's in-process registry)");
            deleteTree(kafkaDir);
            deleteTree(streamsDir);
        }
        try {
            Files.createDirectories(s.dataDir());
            Files.writeString(marker, "made by conntrail local; kafka/ and streams/ are cleared at each start\n");
        } catch (IOException e) {
            throw new UserFacingException("cannot use --data-dir " + s.dataDir() + ": " + e.getMessage());
        }
        EmbeddedKafkaCluster broker = null;
        TopologyApp topology = null;
        try {
            long t0 = step(progress, "starting Kafka broker (KRaft, in this JVM)");
            broker = EmbeddedKafkaCluster.start(kafkaDir, brokerListeners(s.brokerPort()));
            progress.printf(Locale.ROOT, "… ready in %.1f s: bootstrap servers %s (connect other Kafka tools here; data in %s)%n",
                    seconds(t0), broker.bootstrapServers(), kafkaDir);

            t0 = step(progress, "starting topology (creates the topics)");
            topology = TopologyApp.start(TopologyApp.Options.defaults(broker.bootstrapServers(), s.registryUrl(), s.window())
                    .withStateDir(streamsDir).withMetricsPort(s.topologyMetricsPort()));
            progress.printf(Locale.ROOT, "… ready in %.1f s%n", seconds(t0));

            t0 = step(progress, "starting producer agent (snapshot, then live events)");
            Map<String, Object> client = new HashMap<>();
            client.put("bootstrap.servers", broker.bootstrapServers());
            client.put("schema.registry.url", s.registryUrl());
            ProducerAgent agent = ProducerAgent.start(AgentOptions.defaults(s.hostId(), client)
                    .withIntervals(s.heartbeat(), s.window(), Duration.ofSeconds(1)).withBpf(s.allowBpf())
                    .withMetricsPort(s.producerMetricsPort()).withTopicWait(Duration.ofSeconds(60)));
            progress.printf(Locale.ROOT, "… ready in %.1f s; registry %s (in this process only)%n", seconds(t0), s.registryUrl());
            return new LocalStack(broker, topology, agent, s.registryUrl());
        } catch (RuntimeException e) {
            if (topology != null) {
                topology.close();
            }
            if (broker != null) {
                broker.close();
            }
            throw e;
        }
    }

    /** Listeners on 127.0.0.1:port (0: any free port) and a free controller port. */
    static Map<String, Object> brokerListeners(int port) {
        if (port == 0) {
            return Map.of();
        }
        int controller;
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        } catch (IOException e) {
            throw new UserFacingException("port " + port + " on 127.0.0.1 is in use: pass --broker-port 0 (any free port) or another");
        }
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            controller = free.getLocalPort();
        } catch (IOException e) {
            throw new UserFacingException("no free port for the broker's controller: " + e.getMessage());
        }
        Map<String, Object> m = new HashMap<>();
        m.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller);
        m.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        m.put("controller.quorum.voters", "1@127.0.0.1:" + controller);
        return m;
    }

    private static long step(PrintStream progress, String what) {
        progress.println(what + "…");
        return System.nanoTime();
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UserFacingException("cannot remove " + dir + ": " + e.getMessage());
        }
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public String registryUrl() {
        return registryUrl;
    }

    public EmbeddedKafkaCluster broker() {
        return broker;
    }

    public TopologyApp topology() {
        return topology;
    }

    public ProducerAgent agent() {
        return agent;
    }

    /** One line when a part stopped by itself, else null. */
    public String failure() {
        if (!agent.isRunning()) {
            return "the producer agent stopped (see the log above)";
        }
        return topology.fatalError();
    }

    /** Producer first (flushes its last events), then topology (commits), then the broker. */
    @Override
    public void close() {
        try {
            agent.close();
        } finally {
            try {
                topology.close();
            } finally {
                broker.close();
            }
        }
    }
}
