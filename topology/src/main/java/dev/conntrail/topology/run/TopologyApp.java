package dev.conntrail.topology.run;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.cli.Health;
import dev.conntrail.cli.MetricsServer;
import dev.conntrail.cli.Redaction;
import dev.conntrail.cli.UserFacingException;
import dev.conntrail.schemas.registry.RegistryAdmin;
import dev.conntrail.topology.ConnectionTopology;
import dev.conntrail.topology.StreamsSettings;
import dev.conntrail.topology.TopicNames;
import dev.conntrail.topology.TopologySettings;
import dev.conntrail.topology.errors.RegistryOutageHandler;
import dev.conntrail.topology.liveness.OffsetWatcher;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.restore.KafkaRowsRestorer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running topology: topics ensured, Kafka Streams started, metrics served. Close it to stop
 * cleanly (Streams commits and closes, the metrics server stops). {@code conntrail topology} and
 * {@code conntrail local} both start it through {@link #start(Options)} or
 * {@link #start(String, String, Duration)}.
 */
public final class TopologyApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TopologyApp.class);

    /** Everything {@code conntrail topology} can set; {@link #defaults} gives the command's defaults. */
    public record Options(Map<String, Object> clientProperties, String applicationId, String processingGuarantee, Path stateDir,
            int partitions, short replicationFactor, TopologySettings settings, int metricsPort, Duration registryGiveUp,
            String metricsAddress) {

        /** As the canonical constructor, with /metrics and /healthz on {@link MetricsServer#DEFAULT_ADDRESS}. */
        public Options(Map<String, Object> clientProperties, String applicationId, String processingGuarantee, Path stateDir,
                int partitions, short replicationFactor, TopologySettings settings, int metricsPort, Duration registryGiveUp) {
            this(clientProperties, applicationId, processingGuarantee, stateDir, partitions, replicationFactor, settings, metricsPort,
                    registryGiveUp, MetricsServer.DEFAULT_ADDRESS);
        }

        public static Options defaults(String bootstrapServers, String registryUrl, Duration window) {
            Map<String, Object> client = new HashMap<>();
            client.put("bootstrap.servers", bootstrapServers);
            client.put("schema.registry.url", registryUrl);
            return new Options(client, StreamsSettings.DEFAULT_APPLICATION_ID, StreamsConfig.EXACTLY_ONCE_V2, null, 6, (short) -1,
                    TopologySettings.defaults(window), -1, Duration.ofMinutes(2));
        }

        public Options withMetricsPort(int port) {
            return new Options(clientProperties, applicationId, processingGuarantee, stateDir, partitions, replicationFactor, settings,
                    port, registryGiveUp, metricsAddress);
        }

        public Options withMetricsAddress(String address) {
            return new Options(clientProperties, applicationId, processingGuarantee, stateDir, partitions, replicationFactor, settings,
                    metricsPort, registryGiveUp, address);
        }

        public Options withStateDir(Path dir) {
            return new Options(clientProperties, applicationId, processingGuarantee, dir, partitions, replicationFactor, settings,
                    metricsPort, registryGiveUp, metricsAddress);
        }

        public Options withApplicationId(String id) {
            return new Options(clientProperties, id, processingGuarantee, stateDir, partitions, replicationFactor, settings,
                    metricsPort, registryGiveUp, metricsAddress);
        }

        public Options withPartitions(int n) {
            return new Options(clientProperties, applicationId, processingGuarantee, stateDir, n, replicationFactor, settings,
                    metricsPort, registryGiveUp, metricsAddress);
        }
    }

    private final KafkaStreams streams;
    private final MetricsServer metricsServer;
    private final RegistryOutageHandler outageHandler;
    private final PrometheusMeterRegistry registry;
    private final TopologyMetrics metrics;
    private final KafkaRowsRestorer restorer;
    private final OffsetWatcher watcher;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private TopologyApp(KafkaStreams streams, MetricsServer metricsServer, RegistryOutageHandler outageHandler,
            PrometheusMeterRegistry registry, TopologyMetrics metrics, KafkaRowsRestorer restorer, OffsetWatcher watcher) {
        this.restorer = restorer;
        this.watcher = watcher;
        this.streams = streams;
        this.metricsServer = metricsServer;
        this.outageHandler = outageHandler;
        this.registry = registry;
        this.metrics = metrics;
    }

    /** For {@code conntrail local}: defaults (exactly_once_v2, 6 partitions, no metrics port), in-process. */
    public static TopologyApp start(String bootstrapServers, String registryUrl, Duration window) {
        return start(Options.defaults(bootstrapServers, registryUrl, window));
    }

    public static TopologyApp start(Options o) {
        return start(o, ValueSerdes.registry());
    }

    public static TopologyApp start(Options o, ValueSerdes serdes) {
        TopicNames topics = o.settings().topics();
        int partitions;
        Map<String, Object> adminProps = new HashMap<>(o.clientProperties());
        adminProps.remove("schema.registry.url");
        try (Admin admin = Admin.create(adminProps)) {
            partitions = TopicSetup.ensure(admin, topics, o.partitions(), o.replicationFactor(), Duration.ofSeconds(30));
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        TopologyMetrics metrics = new TopologyMetrics(registry);
        Serde<TcpEvent> events = serdes.forValues(TcpEvent.class, o.clientProperties());
        Serde<NatEntry> nat = serdes.forValues(NatEntry.class, o.clientProperties());
        Serde<Connection> connections = serdes.forValues(Connection.class, o.clientProperties());
        // docs/design.md, "Topics": each program sets FULL_TRANSITIVE on the subjects it writes, and
        // only warns if refused
        if (serdes instanceof RegistrySerdes) {
            RegistryAdmin.fromConfig(o.clientProperties()).requireFullTransitiveOnValues(List.of(topics.connections()));
        }
        TopologySettings settings = o.settings().withInputPartitions(partitions);
        Properties props = StreamsSettings.of(o.clientProperties(), o.applicationId(), o.processingGuarantee(), o.stateDir(),
                settings, metrics);
        KafkaRowsRestorer restorer = new KafkaRowsRestorer(props);
        // design rule 5 (convergence): hosts are judged lost only on offsets that prove the input read through
        OffsetWatcher watcher = new OffsetWatcher(adminProps, o.applicationId(), List.of(topics.events(), topics.nat()), partitions,
                settings.window());
        metrics.watchLiveness(watcher.ledger()::oldestProof, watcher::failedChecks);
        Topology topology = ConnectionTopology.build(settings, events, nat, connections, metrics, restorer, watcher.ledger());
        RegistryOutageHandler outage = new RegistryOutageHandler(o.registryGiveUp(), Clock.systemUTC(), metrics.processed::get);
        KafkaStreams streams = new KafkaStreams(topology, props);
        streams.setUncaughtExceptionHandler(outage);
        new KafkaStreamsMetrics(streams).bindTo(registry);
        MetricsServer server = null;
        if (o.metricsPort() >= 0) {
            try {
                server = new MetricsServer(o.metricsAddress(), o.metricsPort(), registry, () -> health(streams.state(), outage));
            } catch (IOException e) {
                throw new UserFacingException("cannot serve metrics on " + o.metricsAddress() + ":" + o.metricsPort() + " (" + e
                        + "): choose another --metrics-address or --metrics-port, or --metrics-port -1 for none", e);
            }
        }
        TopologyApp app = new TopologyApp(streams, server, outage, registry, metrics, restorer, watcher);
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) app.stopped.countDown();
        });
        log.info("conntrail topology {}: {} + {} -> {} (dead letters: {}), {} partitions; registry {}; window {}; {}; rows {}; state {}; metrics {}",
                o.applicationId(), topics.events(), topics.nat(), topics.connections(), topics.deadLetters(), partitions,
                Redaction.redact(String.valueOf(o.clientProperties().get("schema.registry.url"))), o.settings().window(),
                o.processingGuarantee(), settings.persistentStores() ? "in RocksDB (logged store)" : "on the heap (changelog: " + topics.connections() + ")",
                o.stateDir() == null ? "default" : o.stateDir(),
                server == null ? "off" : server.endpoint() + "/metrics");
        log.debug("client properties {}", Redaction.redact(o.clientProperties()));
        streams.start();
        watcher.start();
        return app;
    }

    /** Waits until the client stops by itself (fatal error) or the timeout passes; true if it stopped. */
    public boolean awaitStop(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Why the topology stopped by itself, as one line for the user; null while it runs or after a clean close. */
    public String fatalError() {
        return outageHandler.fatalError();
    }

    public KafkaStreams streams() {
        return streams;
    }

    public TopologyMetrics metrics() {
        return metrics;
    }

    public PrometheusMeterRegistry meterRegistry() {
        return registry;
    }

    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.port();
    }

    /** Clean stop: Streams commits the open transaction and closes; then the metrics server stops. */
    @Override
    public void close() {
        // leave the group: a restarted or remaining instance takes the tasks over at once instead of
        // after the session timeout
        streams.close(CloseOptions.timeout(Duration.ofSeconds(30)).withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        stopped.countDown();
        watcher.close();
        restorer.close();
        if (metricsServer != null) metricsServer.close();
        registry.close();
    }

    /**
     * What {@code /healthz} says: unhealthy unless Kafka Streams is running or rebalancing; degraded while the
     * schema registry is unreachable (records are retried; after {@code --registry-timeout} the topology stops,
     * and is then unhealthy); ok otherwise.
     */
    static Health health(KafkaStreams.State state, RegistryOutageHandler outage) {
        if (!state.isRunningOrRebalancing()) {
            return Health.unhealthy("Kafka Streams is " + state + (outage.fatalError() == null ? "" : ": " + outage.fatalError()));
        }
        long outageMillis = outage.outageMillis();
        if (outageMillis >= 0) {
            return Health.degraded("the schema registry has been unreachable for " + outageMillis / 1000 + " s (records are retried)");
        }
        return Health.OK;
    }
}
