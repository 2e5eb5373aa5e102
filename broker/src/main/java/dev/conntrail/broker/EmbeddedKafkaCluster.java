package dev.conntrail.broker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka 4.4 broker (KRaft, one node in combined broker+controller mode, {@code KafkaRaftServer}) inside
 * this JVM, listening on 127.0.0.1 on free ports, set up for fast tests: no initial rebalance delay, replication 1
 * for the internal topics (so {@code exactly_once_v2} works with one broker), few internal-topic partitions, and
 * no automatic topic creation (conntrail's producers must never create topics; tests create them).
 *
 * <pre>{@code
 * try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
 *     kafka.createTopics(6, "tcp-events", "conntrack-nat");
 *     props.put("bootstrap.servers", kafka.bootstrapServers());
 * }
 * }</pre>
 * In tests prefer the shared one: {@link RealCluster#broker()}.
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaCluster.class);

    /** The broker settings every instance gets; {@link #start(Path, Map)} may override any of them. */
    public static Map<String, Object> defaultBrokerConfig() {
        Map<String, Object> c = new HashMap<>();
        c.put("group.initial.rebalance.delay.ms", "0");
        c.put("offsets.topic.replication.factor", "1");
        c.put("offsets.topic.num.partitions", "5");
        c.put("transaction.state.log.replication.factor", "1");
        c.put("transaction.state.log.min.isr", "1");
        c.put("transaction.state.log.num.partitions", "5");
        c.put("share.coordinator.state.topic.replication.factor", "1");
        c.put("share.coordinator.state.topic.min.isr", "1");
        c.put("default.replication.factor", "1");
        c.put("min.insync.replicas", "1");
        c.put("auto.create.topics.enable", "false");
        c.put("num.partitions", "1");
        c.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        return c;
    }

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Path dataDir;
    private final boolean deleteDataDir;
    private final long startupMillis;
    private volatile boolean closed;

    private EmbeddedKafkaCluster(KafkaRaftServer server, String bootstrapServers, Path dataDir, boolean deleteDataDir,
            long startupMillis) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.dataDir = dataDir;
        this.deleteDataDir = deleteDataDir;
        this.startupMillis = startupMillis;
    }

    /** A broker with its data in a fresh temporary directory, deleted on close. */
    public static EmbeddedKafkaCluster start() {
        return start(null, Map.of());
    }

    /**
     * A broker keeping its data under {@code dataDir} (created and formatted if new, reused if formatted before —
     * so {@code local} keeps its topics across runs; null: a temporary directory deleted on close), with
     * {@code overrides} on top of {@link #defaultBrokerConfig()}. Ports are free ones on 127.0.0.1 unless
     * {@code listeners} is overridden.
     */
    public static EmbeddedKafkaCluster start(Path dataDir, Map<String, ?> overrides) {
        RuntimeException last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            try {
                return startOnce(dataDir, overrides);
            } catch (RuntimeException e) {
                last = e;
                if (!String.valueOf(e.getMessage()).contains("Address already in use") || overrides.containsKey("listeners")) {
                    throw e;
                }
                LOG.info("port race while starting the embedded broker, retrying: {}", e.getMessage());
            }
        }
        throw last;
    }

    private static EmbeddedKafkaCluster startOnce(Path dataDir, Map<String, ?> overrides) {
        long t0 = System.nanoTime();
        boolean temporary = dataDir == null;
        Path base = null;
        try {
            base = temporary ? Files.createTempDirectory("conntrail-kafka-")
                    : Files.createDirectories(dataDir).toAbsolutePath();
            Path logDir = base.resolve("kraft-combined-logs");
            int brokerPort = freePort();
            int controllerPort = freePort();
            Map<String, Object> config = defaultBrokerConfig();
            config.put("process.roles", "broker,controller");
            config.put("node.id", "1");
            config.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
            config.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
            config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
            config.put("controller.listener.names", "CONTROLLER");
            config.put("inter.broker.listener.name", "PLAINTEXT");
            config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            config.put("log.dirs", logDir.toString());
            config.putAll(overrides);
            KafkaConfig kafkaConfig = new KafkaConfig(config, false);

            new Formatter().setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(1).setClusterId(clusterId(logDir))
                    .setDirectories(List.of(logDir.toString())).setMetadataLogDirectory(logDir.toString())
                    .setReleaseVersion(MetadataVersion.latestProduction())
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setControllerListenerName("CONTROLLER").setIgnoreFormatted(true).run();

            KafkaRaftServer server = new KafkaRaftServer(kafkaConfig, Time.SYSTEM);
            server.startup();
            String bootstrap = String.valueOf(config.get("advertised.listeners")).replaceFirst("^[A-Z_]+://", "")
                    .split(",")[0];
            EmbeddedKafkaCluster c = new EmbeddedKafkaCluster(server, bootstrap, base, temporary, 0);
            c.awaitReady(Duration.ofSeconds(60));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            c = new EmbeddedKafkaCluster(server, bootstrap, base, temporary, ms);
            LOG.info("Kafka broker (KRaft, in-JVM) ready at {} in {} ms (data in {})", bootstrap, ms, base);
            return c;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (temporary && base != null) {
                deleteTree(base);
            }
            throw new IllegalStateException("could not start the embedded Kafka broker: " + rootMessage(e), e);
        }
    }

    /** The id a formatted data dir already has (a restart must keep it), else a new one. */
    private static String clusterId(Path logDir) throws IOException {
        Path meta = logDir.resolve("meta.properties");
        if (Files.isRegularFile(meta)) {
            java.util.Properties p = new java.util.Properties();
            try (java.io.Reader r = Files.newBufferedReader(meta)) {
                p.load(r);
            }
            String id = p.getProperty("cluster.id");
            if (id != null && !id.isBlank()) {
                return id.trim();
            }
        }
        return Uuid.randomUuid().toString();
    }

    private void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin = admin()) {
                if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                last = e;
            }
            Thread.sleep(50);
        }
        close();
        throw new IllegalStateException("the embedded broker did not become ready within " + timeout + ": " + last);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e) : e + " (cause: " + t + ")";
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", dir, e.toString());
        }
    }

    /** {@code host:port} of the broker's client listener. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** How long {@link #start} took. */
    public long startupMillis() {
        return startupMillis;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** {@code bootstrap.servers} and nothing else, to build client configs on. */
    public Map<String, Object> clientConfig() {
        Map<String, Object> m = new HashMap<>();
        m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return m;
    }

    /** A new admin client (close it). */
    public Admin admin() {
        return Admin.create(clientConfig());
    }

    /** Creates topics with this many partitions (replication 1); existing ones are left as they are. */
    public void createTopics(int partitions, String... topics) {
        List<NewTopic> list = new ArrayList<>();
        for (String t : topics) {
            list.add(new NewTopic(t, partitions, (short) 1));
        }
        createTopics(list);
    }

    /** Creates a topic with configs (e.g. {@code cleanup.policy=compact}); an existing one is left as it is. */
    public void createTopic(String topic, int partitions, Map<String, String> configs) {
        createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs)));
    }

    private void createTopics(List<NewTopic> topics) {
        try (Admin admin = admin()) {
            for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> e
                    : admin.createTopics(topics).values().entrySet()) {
                try {
                    e.getValue().get();
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("could not create topic " + e.getKey() + ": " + ex.getCause(),
                                ex.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }

    /** Deletes topics (missing ones ignored). */
    public void deleteTopics(String... topics) {
        try (Admin admin = admin()) {
            Set<String> existing = admin.listTopics().names().get();
            List<String> toDelete = new ArrayList<>();
            for (String t : topics) {
                if (existing.contains(t)) {
                    toDelete.add(t);
                }
            }
            admin.deleteTopics(toDelete).all().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while deleting topics", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not delete topics: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        long t0 = System.nanoTime();
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("embedded Kafka broker did not close cleanly: {}", e.toString());
        }
        if (deleteDataDir) {
            deleteTree(dataDir);
        }
        if (!deleteDataDir) {
            LOG.info("embedded Kafka broker stopped in {} ms; data kept in {}", (System.nanoTime() - t0) / 1_000_000,
                    dataDir);
        } else {
            LOG.info("embedded Kafka broker stopped in {} ms", (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /** For log lines: the bootstrap address and start-up time. */
    @Override
    public String toString() {
        return "EmbeddedKafkaCluster[" + bootstrapServers() + ", started in " + Duration.ofMillis(startupMillis) + "]";
    }
}
