package dev.conntrail.topology.run;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionEdge;
import dev.conntrail.avro.WorkloadEdge;
import dev.conntrail.topology.graph.GraphMetrics;
import dev.conntrail.topology.graph.GraphTopics;
import dev.conntrail.topology.graph.ServiceGraphTopology;
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
import dev.conntrail.schemas.RecordBounds;
import dev.conntrail.schemas.registry.RetryingSchemaRegistry;
import dev.conntrail.topology.errors.DeadLetters;
import dev.conntrail.topology.errors.RegistryOutageHandler;
import dev.conntrail.topology.errors.SinkLimit;
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
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerConfig;
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

    /**
     * Everything {@code conntrail topology} can set; {@link #defaults} gives the command's defaults.
     *
     * @param registryGiveUp         how long a registry call may keep failing (the stream thread waits and retries meanwhile)
     *                               before the topology stops with an error
     * @param registryUnknownIdGrace how long a schema id the registry answers 404 for is retried (a lagging replica)
     *                               before records naming it are dead-lettered
     */
    public record Options(Map<String, Object> clientProperties, String applicationId, String processingGuarantee, Path stateDir,
            int partitions, short replicationFactor, TopologySettings settings, int metricsPort, Duration registryGiveUp,
            Duration registryUnknownIdGrace, String metricsAddress, GraphTopics graph) {

        /** As the canonical constructor, without the service graph. */
        public Options(Map<String, Object> clientProperties, String applicationId, String processingGuarantee, Path stateDir,
                int partitions, short replicationFactor, TopologySettings settings, int metricsPort, Duration registryGiveUp,
                Duration registryUnknownIdGrace, String metricsAddress) {
            this(clientProperties, applicationId, processingGuarantee, stateDir, partitions, replicationFactor, settings, metricsPort,
                    registryGiveUp, registryUnknownIdGrace, metricsAddress, null);
        }

        /** As the canonical constructor, with the default unknown-id grace and /metrics on {@link MetricsServer#DEFAULT_ADDRESS}. */
        public Options(Map<String, Object> clientProperties, String applicationId, String processingGuarantee, Path stateDir,
                int partitions, short replicationFactor, TopologySettings settings, int metricsPort, Duration registryGiveUp) {
            this(clientProperties, applicationId, processingGuarantee, stateDir, partitions, replicationFactor, settings, metricsPort,
                    registryGiveUp, RetryingSchemaRegistry.Policy.DEFAULT_UNKNOWN_ID_GRACE, MetricsServer.DEFAULT_ADDRESS);
        }

        /** As the canonical constructor, with /metrics on {@link MetricsServer#DEFAULT_ADDRESS}. */
        public Options(Map<String, Object> clientProperties, String applicationId, String processingGuarantee, Path stateDir,
                int partitions, short replicationFactor, TopologySettings settings, int metricsPort, Duration registryGiveUp,
                Duration registryUnknownIdGrace) {
            this(clientProperties, applicationId, processingGuarantee, stateDir, partitions, replicationFactor, settings, metricsPort,
                    registryGiveUp, registryUnknownIdGrace, MetricsServer.DEFAULT_ADDRESS);
        }

        public static Options defaults(String bootstrapServers, String registryUrl, Duration window) {
            Map<String, Object> client = new HashMap<>();
            client.put("bootstrap.servers", bootstrapServers);
            client.put("schema.registry.url", registryUrl);
            return new Options(client, StreamsSettings.DEFAULT_APPLICATION_ID, StreamsConfig.EXACTLY_ONCE_V2, null, 6, (short) -1,
                    TopologySettings.defaults(window), -1, Duration.ofMinutes(2));
        }

        public Options withRegistryTimeouts(Duration giveUp, Duration unknownIdGrace) {
            return with(c -> {
                c.registryGiveUp = giveUp;
                c.registryUnknownIdGrace = unknownIdGrace;
            });
        }

        public Options withMetricsPort(int port) {
            return with(c -> c.metricsPort = port);
        }

        public Options withMetricsAddress(String address) {
            return with(c -> c.metricsAddress = address);
        }

        public Options withStateDir(Path dir) {
            return with(c -> c.stateDir = dir);
        }

        public Options withApplicationId(String id) {
            return with(c -> c.applicationId = id);
        }

        /** @param topics the service graph's topics (docs/design.md, "The service graph"); null: no graph */
        public Options withServiceGraph(GraphTopics topics) {
            return with(c -> c.graph = topics);
        }

        public Options withPartitions(int n) {
            return with(c -> c.partitions = n);
        }

        /** What a {@code with...} changes: a copy of the options, built anew (so the record checks it again). */
        private static final class Copy {
            Map<String, Object> clientProperties;
            String applicationId;
            String processingGuarantee;
            Path stateDir;
            int partitions;
            short replicationFactor;
            TopologySettings settings;
            int metricsPort;
            Duration registryGiveUp;
            Duration registryUnknownIdGrace;
            String metricsAddress;
            GraphTopics graph;

            Copy(Options o) {
                clientProperties = o.clientProperties;
                applicationId = o.applicationId;
                processingGuarantee = o.processingGuarantee;
                stateDir = o.stateDir;
                partitions = o.partitions;
                replicationFactor = o.replicationFactor;
                settings = o.settings;
                metricsPort = o.metricsPort;
                registryGiveUp = o.registryGiveUp;
                registryUnknownIdGrace = o.registryUnknownIdGrace;
                metricsAddress = o.metricsAddress;
                graph = o.graph;
            }

            Options build() {
                return new Options(clientProperties, applicationId, processingGuarantee, stateDir, partitions, replicationFactor, settings,
                    metricsPort, registryGiveUp, registryUnknownIdGrace, metricsAddress, graph);
            }
        }

        private Options with(Consumer<Copy> change) {
            Copy c = new Copy(this);
            change.accept(c);
            return c.build();
        }
    }

    private final KafkaStreams streams;
    private final MetricsServer metricsServer;
    private final RegistryOutageHandler outageHandler;
    private final PrometheusMeterRegistry registry;
    private final TopologyMetrics metrics;
    private final KafkaRowsRestorer restorer;
    private final ValueSerdes serdes;
    private final OffsetWatcher watcher;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private TopologyApp(KafkaStreams streams, MetricsServer metricsServer, RegistryOutageHandler outageHandler,
            PrometheusMeterRegistry registry, TopologyMetrics metrics, KafkaRowsRestorer restorer, ValueSerdes serdes,
            OffsetWatcher watcher) {
        this.restorer = restorer;
        this.serdes = serdes;
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

    /** With the registry-backed serdes, waiting out registry failures as the options say. */
    public static TopologyApp start(Options o) {
        return start(o, null);
    }

    /** @param serdes null: the registry-backed serdes, waiting out registry failures as the options say */
    public static TopologyApp start(Options o, ValueSerdes serdes) {
        TopicNames topics = o.settings().topics();
        int partitions;
        TopicSetup.Limits limits;
        Map<String, Object> adminProps = new HashMap<>(o.clientProperties());
        adminProps.remove("schema.registry.url");
        try (Admin admin = Admin.create(adminProps)) {
            partitions = TopicSetup.ensure(admin, topics, o.partitions(), o.replicationFactor(), Duration.ofSeconds(30));
            limits = TopicSetup.limits(admin, topics, Duration.ofSeconds(30));
            if (o.graph() != null) TopicSetup.ensureGraph(admin, o.graph(), partitions, o.replicationFactor(), Duration.ofSeconds(30));
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        TopologyMetrics metrics = new TopologyMetrics(registry);
        if (serdes == null) {
            serdes = ValueSerdes.registry(RetryingSchemaRegistry.Policy.of(o.registryGiveUp(), o.registryUnknownIdGrace()),
                    (call, failure, failingFor) -> metrics.registryUnreachable());
        }
        int maxRequest = maxRequestSize(o.clientProperties());
        SinkLimit sinkLimit = new SinkLimit(Math.min(maxRequest, limits.connectionsMaxMessageBytes()) - RECORD_FRAMING_BYTES);
        if (sinkLimit.mustMeasure()) {
            log.warn("{} takes records of at most {} bytes but a row change may be up to {}: row changes that do not fit are measured and "
                    + "dead-lettered (row-too-large); raise max.message.bytes of {} (and max.request.size) to at least {}", topics.connections(),
                    sinkLimit.maxRecordBytes(), RecordBounds.ROW_RECORD_MAX_BYTES, topics.connections(),
                    RecordBounds.ROW_RECORD_MAX_BYTES + RECORD_FRAMING_BYTES);
        }
        int deadLetterValues = Math.max(1024, Math.min(maxRequest, limits.deadLettersMaxMessageBytes()) - DEAD_LETTER_ROOM_BYTES);
        DeadLetters deadLetters = new DeadLetters(topics.deadLetters(), metrics, sinkLimit, deadLetterValues);
        ValueSerdes values = serdes;
        Serde<TcpEvent> events = serdes.forValues(TcpEvent.class, o.clientProperties());
        Serde<NatEntry> nat = serdes.forValues(NatEntry.class, o.clientProperties());
        Serde<Connection> connections = serdes.forValues(Connection.class, o.clientProperties());
        // docs/design.md, "Topics": each program sets FULL_TRANSITIVE on the subjects it writes, and
        // only warns if refused
        if (serdes instanceof RegistrySerdes) {
            RegistryAdmin.fromConfig(o.clientProperties()).requireFullTransitiveOnValues(o.graph() == null ? List.of(topics.connections())
                    : List.of(topics.connections(), o.graph().edges(), o.graph().workloads()));
        }
        TopologySettings settings = o.settings().withInputPartitions(partitions);
        Properties props = StreamsSettings.of(o.clientProperties(), o.applicationId(), o.processingGuarantee(), o.stateDir(),
                settings, metrics, deadLetters);
        KafkaRowsRestorer restorer = new KafkaRowsRestorer(props, metrics);
        // design rule 5 (convergence): hosts are judged lost only on offsets that prove the input read through
        OffsetWatcher watcher = new OffsetWatcher(adminProps, o.applicationId(), List.of(topics.events(), topics.nat()), partitions,
                settings.window());
        metrics.watchLiveness(watcher.ledger()::oldestProof, watcher::failedChecks);
        Topology topology = ConnectionTopology.build(settings, events, nat, connections, metrics, restorer, watcher.ledger(), sinkLimit);
        if (o.graph() != null) {
            ServiceGraphTopology.addTo(topology, topics.connections(), o.graph(), connections,
                    serdes.forValues(ConnectionEdge.class, o.clientProperties()), serdes.forValues(WorkloadEdge.class, o.clientProperties()),
                    settings.persistentStores(), new GraphMetrics(registry));
        }
        RegistryOutageHandler outage = new RegistryOutageHandler(o.registryGiveUp(), Clock.systemUTC(), metrics.processed::get, sinkLimit);
        KafkaStreams streams = new KafkaStreams(topology, props);
        streams.setUncaughtExceptionHandler(outage);
        new KafkaStreamsMetrics(streams).bindTo(registry);
        MetricsServer server = null;
        if (o.metricsPort() >= 0) {
            try {
                server = new MetricsServer(o.metricsAddress(), o.metricsPort(), registry,
                        () -> health(streams.state(), outage, values::registryFailingForMillis));
            } catch (IOException e) {
                throw new UserFacingException("cannot serve metrics on " + o.metricsAddress() + ":" + o.metricsPort() + " (" + e
                        + "): choose another --metrics-address or --metrics-port, or --metrics-port -1 for none", e);
            }
        }
        TopologyApp app = new TopologyApp(streams, server, outage, registry, metrics, restorer, serdes, watcher);
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) app.stopped.countDown();
        });
        log.info("conntrail topology {}: {} + {} -> {} (dead letters: {}), {} partitions; registry {}; window {}; {}; rows {}; state {}; metrics {}",
                o.applicationId(), topics.events(), topics.nat(), topics.connections(), topics.deadLetters(), partitions,
                Redaction.redact(String.valueOf(o.clientProperties().get("schema.registry.url"))), o.settings().window(),
                o.processingGuarantee(), settings.persistentStores() ? "in RocksDB (logged store)" : "on the heap (changelog: " + topics.connections() + ")",
                o.stateDir() == null ? "default" : o.stateDir(),
                server == null ? "off" : server.endpoint() + "/metrics");
        if (o.graph() != null) {
            log.info("service graph: {} -> {} -> {} -> {}", topics.connections(), o.graph().ends(), o.graph().edges(), o.graph().workloads());
        }
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

    /**
     * How long a stream thread has been waiting for a failing schema registry, in milliseconds; -1 when
     * none is (a waiting thread processes nothing until the registry answers or {@code --registry-timeout}).
     */
    public long registryFailingForMillis() {
        return serdes.registryFailingForMillis();
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
        serdes.abandon(); // a stream thread waiting for the registry stops waiting
        // leave the group: a restarted or remaining instance takes the tasks over at once instead of
        // after the session timeout
        streams.close(CloseOptions.timeout(Duration.ofSeconds(30)).withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        stopped.countDown();
        watcher.close();
        restorer.close();
        if (metricsServer != null) metricsServer.close();
        registry.close();
    }

    /** Batch and record framing around a row change's key, value and headers (a one-record batch: 61 + about 20 bytes). */
    static final int RECORD_FRAMING_BYTES = 100;
    /** Room in a dead letter for its key (at most 512 bytes) and error headers (stack trace and message are cut). */
    static final int DEAD_LETTER_ROOM_BYTES = 20 * 1024;

    /** The topology producer's {@code max.request.size} (Kafka's default 1 MiB unless set). */
    static int maxRequestSize(Map<String, Object> client) {
        Object v = client.get(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
        if (v == null) v = client.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        try {
            return v == null ? 1024 * 1024 : Integer.parseInt(String.valueOf(v).trim());
        } catch (NumberFormatException e) {
            return 1024 * 1024;
        }
    }

    /**
     * What {@code /healthz} says: unhealthy unless Kafka Streams is running or rebalancing; degraded while the
     * schema registry is unreachable (records are retried; after {@code --registry-timeout} the topology stops,
     * and is then unhealthy); ok otherwise.
     */
    static Health health(KafkaStreams.State state, RegistryOutageHandler outage, java.util.function.LongSupplier registryWaitMillis) {
        if (!state.isRunningOrRebalancing()) {
            return Health.unhealthy("Kafka Streams is " + state + (outage.fatalError() == null ? "" : ": " + outage.fatalError()));
        }
        long outageMillis = Math.max(outage.outageMillis(), registryWaitMillis.getAsLong());
        if (outageMillis >= 0) {
            return Health.degraded("the schema registry has been unreachable for " + outageMillis / 1000 + " s (records are retried)");
        }
        return Health.OK;
    }
}
