package dev.conntrail.topology.cli;

import dev.conntrail.cli.DurationConverter;
import dev.conntrail.cli.KafkaOptions;
import dev.conntrail.cli.MetricsServer;
import dev.conntrail.cli.RunOptions;
import dev.conntrail.cli.UserFacingException;
import dev.conntrail.topology.StreamsSettings;
import dev.conntrail.topology.TopicNames;
import dev.conntrail.topology.graph.GraphTopics;
import dev.conntrail.topology.TopologySettings;
import dev.conntrail.topology.run.TopologyApp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code conntrail topology}: the Kafka Streams application that keeps the compacted connections table. */
@Command(name = "topology", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The Kafka Streams application that keeps the compacted connections table.",
                "Reads tcp-events and conntrack-nat, writes connections (and undecodable input to connections-dlq);",
                "creates the four topics when missing. Stops cleanly on SIGTERM / Ctrl-C."})
public final class TopologyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    RunOptions run = new RunOptions();
    @Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--window", converter = DurationConverter.class, defaultValue = "10s", paramLabel = "DURATION",
            description = "W: closed rows are tombstoned at the first W boundary at least W after the close; hosts silent for 3 W are lost. Default: ${DEFAULT-VALUE}.")
    Duration window = Duration.ofSeconds(10);

    @Option(names = "--partitions", defaultValue = "6", paramLabel = "N",
            description = "Partitions of topics this command creates (existing topics keep theirs). Default: ${DEFAULT-VALUE}.")
    int partitions = 6;

    @Option(names = "--replication-factor", defaultValue = "-1", paramLabel = "N",
            description = "Replication factor of topics this command creates; -1: the broker's default. Default: ${DEFAULT-VALUE}.")
    short replicationFactor = -1;

    @Option(names = "--application-id", defaultValue = StreamsSettings.DEFAULT_APPLICATION_ID, paramLabel = "ID",
            description = "Kafka Streams application.id (consumer group, internal topic prefix). Default: ${DEFAULT-VALUE}.")
    String applicationId = StreamsSettings.DEFAULT_APPLICATION_ID;

    /** The two guarantees Kafka Streams 4 offers. */
    enum Guarantee { exactly_once_v2, at_least_once }

    @Option(names = "--processing-guarantee", defaultValue = "exactly_once_v2", paramLabel = "GUARANTEE",
            description = "${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
    Guarantee processingGuarantee = Guarantee.exactly_once_v2;

    @Option(names = "--metrics-port", defaultValue = "9465", paramLabel = "PORT",
            description = "Serve /metrics (Prometheus) and /healthz here; -1: off. Default: ${DEFAULT-VALUE}.")
    int metricsPort = 9465;

    @Option(names = "--metrics-address", defaultValue = MetricsServer.DEFAULT_ADDRESS, paramLabel = "ADDRESS",
            description = "Address /metrics and /healthz listen on (loopback: this host only; in a container its own address, "
                    + "or 0.0.0.0). Default: ${DEFAULT-VALUE}.")
    String metricsAddress = MetricsServer.DEFAULT_ADDRESS;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Where the state stores live. Default: Kafka Streams' (java.io.tmpdir/kafka-streams).")
    Path stateDir;

    /** Where the state stores keep their data; both are changelogged to Kafka. */
    enum StateStore { rocksdb, memory }

    @Option(names = "--state-store", defaultValue = "memory", paramLabel = "KIND",
            description = "${COMPLETION-CANDIDATES}: RocksDB on disk (state larger than the heap; restart reuses local files) or in-memory "
                    + "(faster, see BENCHMARKS.md; every row on the heap, rebuilt from the connections topic at start). Default: ${DEFAULT-VALUE}.")
    StateStore stateStore = StateStore.memory;

    @Option(names = "--registry-timeout", converter = DurationConverter.class, defaultValue = "2m", paramLabel = "DURATION",
            description = "Stop with an error when a schema registry call has failed this long (unreachable, 5xx, 429, 401/403; the stream thread waits and retries meanwhile, nothing is dead-lettered). Default: ${DEFAULT-VALUE}.")
    Duration registryTimeout = Duration.ofMinutes(2);

    @Option(names = "--registry-unknown-id-grace", converter = DurationConverter.class, defaultValue = "5s", paramLabel = "DURATION",
            description = "How long a schema id the registry says it does not know is asked again (a lagging registry replica) before "
                    + "records naming it are dead-lettered. Default: ${DEFAULT-VALUE}.")
    Duration registryUnknownIdGrace = Duration.ofSeconds(5);

    @Option(names = "--events-topic", defaultValue = "tcp-events", paramLabel = "TOPIC", description = "Default: ${DEFAULT-VALUE}.")
    String eventsTopic = "tcp-events";
    @Option(names = "--nat-topic", defaultValue = "conntrack-nat", paramLabel = "TOPIC", description = "Default: ${DEFAULT-VALUE}.")
    String natTopic = "conntrack-nat";
    @Option(names = "--connections-topic", defaultValue = "connections", paramLabel = "TOPIC", description = "Default: ${DEFAULT-VALUE}.")
    String connectionsTopic = "connections";
    @Option(names = "--dlq-topic", defaultValue = "connections-dlq", paramLabel = "TOPIC", description = "Default: ${DEFAULT-VALUE}.")
    String dlqTopic = "connections-dlq";

    @Option(names = "--service-graph", description = "Also pair the two ends of connections whose both ends run an agent: edges in "
            + "--edges-topic, counts per pair of workloads in --service-graph-topic (docs/design.md, \"The service graph\"). Default: off.")
    boolean serviceGraph;
    @Option(names = "--ends-topic", defaultValue = "connection-ends", paramLabel = "TOPIC",
            description = "The service graph's internal repartition topic. Default: ${DEFAULT-VALUE}.")
    String endsTopic = "connection-ends";
    @Option(names = "--edges-topic", defaultValue = "connection-edges", paramLabel = "TOPIC", description = "Default: ${DEFAULT-VALUE}.")
    String edgesTopic = "connection-edges";
    @Option(names = "--service-graph-topic", defaultValue = "service-graph", paramLabel = "TOPIC", description = "Default: ${DEFAULT-VALUE}.")
    String serviceGraphTopic = "service-graph";

    @Override
    public Integer call() throws Exception {
        TopologyApp.Options options = options();

        TopologyApp app = TopologyApp.start(options);
        Thread hook = new Thread(app::close, "conntrail-topology-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        boolean stoppedByItself = run.duration == null ? awaitForever(app) : app.awaitStop(run.duration);
        if (!stoppedByItself) {
            Runtime.getRuntime().removeShutdownHook(hook);
            app.close();
            return 0;
        }
        String fatal = app.fatalError();
        if (fatal != null) {
            Runtime.getRuntime().removeShutdownHook(hook);
            app.close();
            throw new UserFacingException(fatal);
        }
        return 0; // closed by SIGTERM / Ctrl-C through the hook
    }

    private static boolean awaitForever(TopologyApp app) throws InterruptedException {
        while (!app.awaitStop(Duration.ofHours(1))) {
            // keep waiting
        }
        return true;
    }

    TopologyApp.Options options() {
        if (partitions < 1) {
            throw new ParameterException(spec.commandLine(), "--partitions must be at least 1, not " + partitions);
        }
        TopologySettings settings;
        try {
            settings = TopologySettings.defaults(window).withTopics(new TopicNames(eventsTopic, natTopic, connectionsTopic, dlqTopic))
                    .withPersistentStores(stateStore == StateStore.rocksdb);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--window: " + e.getMessage());
        }
        return new TopologyApp.Options(kafka.clientProperties(), applicationId, processingGuarantee.name(), stateDir, partitions,
                replicationFactor, settings, metricsPort, registryTimeout, registryUnknownIdGrace, metricsAddress,
                serviceGraph ? new GraphTopics(endsTopic, edgesTopic, serviceGraphTopic) : null);
    }
}
