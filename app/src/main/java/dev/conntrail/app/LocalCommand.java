package dev.conntrail.app;

import dev.conntrail.cli.HostIds;
import dev.conntrail.cli.DurationConverter;
import dev.conntrail.cli.RunOptions;
import dev.conntrail.cli.KafkaOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code conntrail local}: everything on this host: embedded KRaft broker, topology, producer, live table. */
@Command(name = "local", mixinStandardHelpOptions = true,
        description = {"Everything on this host: embedded KRaft broker, producer, topology, live table.",
            "Starts a Kafka broker in this JVM (data under --data-dir, cleared at each start), the topology (it creates "
                    + "the topics), the producer agent (eBPF as root; else /proc polling, said at start), then shows the "
                    + "connections table until Ctrl-C or --duration. The schema registry is in-process (mock://local)."})
public final class LocalCommand implements Callable<Integer> {
    @Mixin
    RunOptions run;

    @Option(names = "--data-dir", defaultValue = "local-data", paramLabel = "DIR",
            description = "Where the broker and Kafka Streams keep their data. Default: ./${DEFAULT-VALUE}.")
    Path dataDir;

    @Option(names = "--broker-port", defaultValue = "9092", paramLabel = "PORT",
            description = "The broker's port on 127.0.0.1 (0: any free port). Default: ${DEFAULT-VALUE}.")
    int brokerPort;

    @Option(names = "--host-id", paramLabel = "ID", description = "This host's id. Default: the hostname.")
    String hostId;

    @Option(names = "--window", converter = DurationConverter.class, defaultValue = "10s", paramLabel = "DURATION",
            description = "W: closed rows stay one window; at most one resync per window. Default: ${DEFAULT-VALUE}.")
    Duration window;

    @Option(names = "--no-bpf", description = "Do not use eBPF: poll /proc (source PROC_POLL).")
    boolean noBpf;

    @Option(names = "--metrics-port", defaultValue = "-1", paramLabel = "PORT",
            description = "Serve the producer's Prometheus /metrics here (-1: none). Default: ${DEFAULT-VALUE}.")
    int metricsPort;

    @Option(names = "--max-rows", defaultValue = "40", paramLabel = "N", description = "Rows shown. Default: ${DEFAULT-VALUE}.")
    int maxRows;

    @Option(names = "--filter", paramLabel = "FIELD=VALUE",
            description = "Only rows whose FIELD is VALUE: host, comm, pid, netns, state or port (local or remote); repeatable.")
    List<String> filters = new ArrayList<>();

    @Option(names = "--show-own", description = "Also show conntrail's own connections (its broker and the clients of "
            + "this process); hidden by default.")
    boolean showOwn;

    @Override
    public Integer call() throws Exception {
        Duration heartbeat = window.compareTo(Duration.ofSeconds(10)) >= 0 ? Duration.ofSeconds(5) : window.dividedBy(2);
        LocalStack.Settings settings = new LocalStack.Settings(dataDir, brokerPort, "mock://local",
                hostId == null ? HostIds.defaultHostId() : hostId, window, heartbeat, !noBpf, metricsPort, -1);
        CountDownLatch closed = new CountDownLatch(1);
        // Ctrl-C: TableCommand's own hook ends the table; this one keeps the JVM up until everything is closed
        Thread hook = new Thread(() -> {
            try {
                closed.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "conntrail-local-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try (LocalStack stack = LocalStack.start(settings, System.err)) {
            System.err.println("showing the connections table (Ctrl-C to stop)");
            TableCommand table = new TableCommand();
            table.run = run;
            table.kafka = new KafkaOptions();
            table.kafka.bootstrapServers = stack.bootstrapServers();
            table.kafka.schemaRegistryUrl = stack.registryUrl();
            table.topic = "connections";
            table.maxRows = maxRows;
            table.filters = filters;
            table.hidePid = showOwn ? -1 : ProcessHandle.current().pid();
            table.stopWhen = () -> stack.failure() != null;
            table.call();
            String failure = stack.failure();
            if (failure != null) {
                throw new dev.conntrail.cli.UserFacingException(failure);
            }
        } finally {
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // already stopping
            }
        }
        return 0;
    }

}
