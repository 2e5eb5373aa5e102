package dev.conntrail.producer.cli;

import dev.conntrail.cli.DurationConverter;
import dev.conntrail.cli.HostIds;
import dev.conntrail.cli.KafkaOptions;
import dev.conntrail.cli.MetricsServer;
import dev.conntrail.cli.UserFacingException;
import dev.conntrail.producer.agent.AgentOptions;
import dev.conntrail.producer.agent.ProducerAgent;
import dev.conntrail.producer.bpf.tracer.AcceptPidMode;
import dev.conntrail.producer.conntrack.ConntrackReader;
import dev.conntrail.producer.ns.NetnsFilter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code conntrail producer}: the per-host agent: eBPF events, snapshots and conntrack NAT entries to Kafka. */
@Command(name = "producer", mixinStandardHelpOptions = true,
        description = {"The per-host agent: eBPF events, snapshots and conntrack NAT entries to Kafka.",
            "Needs root, or CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_SYS_ADMIN "
                    + "(docs/producer.md). Without BPF it falls back to /proc polling (source PROC_POLL) and says so.",
            "Never creates topics: start `conntrail topology` first (it creates them)."})
public final class ProducerCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--host-id", paramLabel = "ID", description = "This host's id (key prefix of every record; no '|', at most 255 bytes). "
            + "Default: the hostname (uname -n, no DNS lookup); a name hosts share, such as localhost, is refused.")
    String hostId;

    @Option(names = "--accept-pid", paramLabel = "MODE", defaultValue = "default",
            description = "How ACCEPTs get their pid: default (listen() caller, free) or exact (accept() caller, taxes every syscall). Default: ${DEFAULT-VALUE}.")
    AcceptPidMode acceptPid;

    @Option(names = "--heartbeat-interval", converter = DurationConverter.class, defaultValue = "5s", paramLabel = "DURATION",
            description = "A HEARTBEAT record this often (less than the topology's window). Default: ${DEFAULT-VALUE}.")
    Duration heartbeat;

    @Option(names = "--window", converter = DurationConverter.class, defaultValue = "10s", paramLabel = "DURATION",
            description = "W: after a loss, at most one resync (snapshot) per window. Default: ${DEFAULT-VALUE}.")
    Duration window;

    /** Which conntrack tables to read. */
    public enum ConntrackNetns { root, all, off }

    @Option(names = "--conntrack-netns", paramLabel = "SCOPE", defaultValue = "root",
            description = "Conntrack (NAT) tables to read: ${COMPLETION-CANDIDATES} (all: every namespace). Default: ${DEFAULT-VALUE}.")
    ConntrackNetns conntrackNetns;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--netns", paramLabel = "NS", description = "Watch only this network namespace; repeatable. An inode (as in "
            + "/proc/PID/ns/net), a path (/proc/PID/ns/net, /run/netns/NAME) or an `ip netns` name. Sockets and NAT entries of other "
            + "namespaces are left out, so one agent per namespace or tenant (each with its own --host-id) can share a host. With it, "
            + "--conntrack-netns root reads every namespace's conntrack table, of which the named namespaces' entries go out. "
            + "Default: every namespace.")
    List<String> netns = new ArrayList<>();

    @Option(names = "--poll-interval", converter = DurationConverter.class, defaultValue = "1s", paramLabel = "DURATION",
            description = "The /proc polling fallback's interval (without BPF). Default: ${DEFAULT-VALUE}.")
    Duration pollInterval;

    @Option(names = "--no-bpf", description = "Do not use eBPF: poll /proc (source PROC_POLL, no cookies).")
    boolean noBpf;

    @Option(names = "--metrics-port", defaultValue = "9464", paramLabel = "PORT",
            description = "Prometheus /metrics and /healthz (-1: none). Default: ${DEFAULT-VALUE}.")
    int metricsPort;

    @Option(names = "--metrics-address", defaultValue = MetricsServer.DEFAULT_ADDRESS, paramLabel = "ADDRESS",
            description = "Address /metrics and /healthz listen on (loopback: this host only; in Kubernetes the pod IP, "
                    + "deploy/conntrail-producer-daemonset.yaml). Default: ${DEFAULT-VALUE}.")
    String metricsAddress;

    @Option(names = "--unhealthy-after", converter = DurationConverter.class, defaultValue = "5m", paramLabel = "DURATION",
            description = "/healthz says unhealthy (503) once Kafka sends have failed this long with none succeeding "
                    + "(degraded before). Default: ${DEFAULT-VALUE}.")
    Duration unhealthyAfter;

    @Option(names = "--queue-size", defaultValue = "65536", paramLabel = "N", hidden = true,
            description = "Events the hand-off queue holds (also during a snapshot); more is counted loss.")
    int queueSize;

    @Option(names = "--clock-offset", defaultValue = "0s", paramLabel = "[-]DURATION", hidden = true,
            description = "Test only: shift every published time by this much (e.g. 2m, -2m), as a host clock that is off would.")
    String clockOffset;

    @Option(names = "--ring-buffer-size", paramLabel = "BYTES", defaultValue = "0", hidden = true,
            description = "BPF ring buffer size per CPU (power of two >= 4096; 0: 4 MiB up to 8 CPUs, less beyond, at least 1 MiB). "
                    + "A small one forces ring buffer loss (tests).")
    int ringBufferBytes;

    @Option(names = "--events-topic", defaultValue = "tcp-events", paramLabel = "TOPIC", description = "Default: ${DEFAULT-VALUE}.")
    String eventsTopic;

    @Option(names = "--nat-topic", defaultValue = "conntrack-nat", paramLabel = "TOPIC", description = "Default: ${DEFAULT-VALUE}.")
    String natTopic;

    @Option(names = "--duration", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Run this long, then exit 0 (e.g. 30s). Default: until Ctrl-C / SIGTERM.")
    Duration duration;

    @Option(names = "--verbose", description = "Debug logging, and stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (!heartbeat.minus(window).isNegative()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--heartbeat-interval (" + heartbeat
                    + ") must be less than --window (" + window + "), or the topology may declare this host lost");
        }
        if (ringBufferBytes != 0 && (Integer.bitCount(ringBufferBytes) != 1 || ringBufferBytes < 4096)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--ring-buffer-size must be 0 (the default) or a power of "
                    + "two of at least 4096, not " + ringBufferBytes);
        }
        NetnsFilter watched;
        try {
            watched = NetnsFilter.resolve(netns);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        // the named namespaces' NAT entries are in their own conntrack tables, not the root's
        ConntrackNetns conntrack = !watched.watchesAll() && conntrackNetns == ConntrackNetns.root ? ConntrackNetns.all : conntrackNetns;
        AgentOptions options = options(kafka, HostIds.producerHostId(hostId))
                .withNetns(watched)
                .withAcceptPid(acceptPid)
                .withIntervals(heartbeat, window, pollInterval)
                .withConntrack(scope(conntrack))
                .withBpf(!noBpf)
                .withQueueCapacity(queueSize)
                .withMetricsPort(metricsPort)
                .withMetricsAddress(metricsAddress)
                .withUnhealthyAfter(unhealthyAfter)
                .withTopics(eventsTopic, natTopic)
                .withClockOffset(clockOffset.startsWith("-") ? DurationConverter.parse(clockOffset.substring(1)).negated()
                        : DurationConverter.parse(clockOffset))
                .withRingBufferBytes(ringBufferBytes);
        return runUntilStopped(cancelled -> ProducerAgent.start(options, cancelled), duration,
                agent -> agent.isRunning() ? null : "the agent stopped (see the log above)");
    }

    static AgentOptions options(KafkaOptions kafka, String host) {
        Map<String, Object> client = kafka.clientProperties(); // a --config file that cannot be read says so itself
        try {
            return AgentOptions.defaults(host, client);
        } catch (IllegalArgumentException e) {
            throw new UserFacingException(e.getMessage() + ": pass --host-id");
        }
    }

    static ConntrackReader.Scope scope(ConntrackNetns s) {
        return switch (s) {
            case root -> ConntrackReader.Scope.ROOT;
            case all -> ConntrackReader.Scope.ALL;
            case off -> null;
        };
    }

    /**
     * Starts something, runs until --duration passes, SIGTERM / Ctrl-C, or {@code failure} names a reason
     * (then exit 1 with that line), and closes it (detach, flush, close).
     */
    public static <T extends AutoCloseable> int runUntilStopped(java.util.function.Function<java.util.function.BooleanSupplier, T> starter,
            Duration duration,
            java.util.function.Function<T, String> failure) throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                closed.await(30, TimeUnit.SECONDS); // let the main thread close cleanly before the JVM halts
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "conntrail-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try (T running = starter.apply(() -> stop.getCount() == 0)) {
            long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
            while (!stop.await(Math.max(1, Math.min(500, (deadline - System.nanoTime()) / 1_000_000)), TimeUnit.MILLISECONDS)
                    && (duration == null || System.nanoTime() - deadline < 0)) {
                String why = failure.apply(running);
                if (why != null) {
                    throw new UserFacingException(why);
                }
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
