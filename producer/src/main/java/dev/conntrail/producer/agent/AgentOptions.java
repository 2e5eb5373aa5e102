package dev.conntrail.producer.agent;

import dev.conntrail.cli.MetricsServer;
import dev.conntrail.producer.bpf.tracer.AcceptPidMode;
import dev.conntrail.producer.conntrack.ConntrackReader;
import dev.conntrail.producer.ns.NetnsFilter;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

/**
 * How to run the producer agent. Immutable; start from {@link #defaults}.
 *
 * @param host              the host id (key prefix of every record); must not contain {@code |}
 * @param clientProperties  Kafka client + registry settings ({@code bootstrap.servers}, {@code schema.registry.url}, TLS, ...)
 * @param eventsTopic       {@code tcp-events}
 * @param natTopic          {@code conntrack-nat}
 * @param heartbeatInterval design rule 5 (convergence): a HEARTBEAT this often
 * @param window            W: at most one resync per window (design rule 6 (loss))
 * @param acceptPid         the tracer's ACCEPT pid mode
 * @param conntrack         conntrack namespaces to read (null: no NAT)
 * @param pollInterval      the /proc polling fallback's interval
 * @param allowBpf          false forces the /proc polling fallback (tests, or a user who wants it)
 * @param queueCapacity     events the hand-off queue holds (also the hold buffer during a snapshot)
 * @param metricsPort       Prometheus /metrics and /healthz port (-1: none, 0: any free port)
 * @param topicWait         how long to wait for a missing topic before giving up (it is retried meanwhile)
 * @param metricsAddress    the address /metrics and /healthz listen on
 * @param unhealthyAfter    /healthz says unhealthy once Kafka sends have failed this long without one succeeding
 * @param clockOffset       test only (zero otherwise): added to every time the agent publishes, as if the host's clock
 *                          were off by that much
 * @param ringBufferBytes   the tracer's ring buffer size per CPU (0: its default; a power of two otherwise, e.g. one
 *                          page to force overflow in a test)
 * @param netns             the network namespaces whose sockets and NAT entries are published ({@code --netns}; all by default)
 */
public record AgentOptions(String host, Map<String, Object> clientProperties, String eventsTopic, String natTopic,
        Duration heartbeatInterval, Duration window, AcceptPidMode acceptPid, ConntrackReader.Scope conntrack,
        Duration pollInterval, boolean allowBpf, int queueCapacity, int metricsPort, Duration topicWait, String metricsAddress,
        Duration unhealthyAfter, Duration clockOffset, int ringBufferBytes, NetnsFilter netns) {

    public static AgentOptions defaults(String host, Map<String, Object> clientProperties) {
        return new AgentOptions(host, Map.copyOf(clientProperties), "tcp-events", "conntrack-nat", Duration.ofSeconds(5),
                Duration.ofSeconds(10), AcceptPidMode.DEFAULT, ConntrackReader.Scope.ROOT, Duration.ofSeconds(1), true,
                65_536, 9464, Duration.ofMinutes(10), MetricsServer.DEFAULT_ADDRESS, Duration.ofMinutes(5), Duration.ZERO, 0, NetnsFilter.ALL);
    }

    public AgentOptions {
        dev.conntrail.schemas.Keys.checkHost(host);
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queue capacity must be positive");
        }
        if (heartbeatInterval.isNegative() || heartbeatInterval.isZero() || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("heartbeat interval and window must be positive");
        }
    }

    public AgentOptions withTopics(String events, String nat) {
        return with(c -> {
            c.eventsTopic = events;
            c.natTopic = nat;
        });
    }

    public AgentOptions withIntervals(Duration heartbeat, Duration window, Duration poll) {
        return with(c -> {
            c.heartbeatInterval = heartbeat;
            c.window = window;
            c.pollInterval = poll;
        });
    }

    public AgentOptions withAcceptPid(AcceptPidMode mode) {
        return with(c -> c.acceptPid = mode);
    }

    public AgentOptions withConntrack(ConntrackReader.Scope scope) {
        return with(c -> c.conntrack = scope);
    }

    public AgentOptions withBpf(boolean allow) {
        return with(c -> c.allowBpf = allow);
    }

    public AgentOptions withQueueCapacity(int n) {
        return with(c -> c.queueCapacity = n);
    }

    public AgentOptions withMetricsPort(int port) {
        return with(c -> c.metricsPort = port);
    }

    public AgentOptions withTopicWait(Duration wait) {
        return with(c -> c.topicWait = wait);
    }

    public AgentOptions withMetricsAddress(String address) {
        return with(c -> c.metricsAddress = address);
    }

    public AgentOptions withUnhealthyAfter(Duration after) {
        return with(c -> c.unhealthyAfter = after);
    }

    public AgentOptions withClockOffset(Duration offset) {
        return with(c -> c.clockOffset = offset);
    }

    public AgentOptions withRingBufferBytes(int bytes) {
        return with(c -> c.ringBufferBytes = bytes);
    }

    public AgentOptions withNetns(NetnsFilter filter) {
        return with(c -> c.netns = filter);
    }

    /** What a {@code with...} changes: a copy of the options, built anew (so the record checks it again). */
    private static final class Copy {
        String host;
        Map<String, Object> clientProperties;
        String eventsTopic;
        String natTopic;
        Duration heartbeatInterval;
        Duration window;
        AcceptPidMode acceptPid;
        ConntrackReader.Scope conntrack;
        Duration pollInterval;
        boolean allowBpf;
        int queueCapacity;
        int metricsPort;
        Duration topicWait;
        String metricsAddress;
        Duration unhealthyAfter;
        Duration clockOffset;
        int ringBufferBytes;
        NetnsFilter netns;

        Copy(AgentOptions o) {
            host = o.host;
            clientProperties = o.clientProperties;
            eventsTopic = o.eventsTopic;
            natTopic = o.natTopic;
            heartbeatInterval = o.heartbeatInterval;
            window = o.window;
            acceptPid = o.acceptPid;
            conntrack = o.conntrack;
            pollInterval = o.pollInterval;
            allowBpf = o.allowBpf;
            queueCapacity = o.queueCapacity;
            metricsPort = o.metricsPort;
            topicWait = o.topicWait;
            metricsAddress = o.metricsAddress;
            unhealthyAfter = o.unhealthyAfter;
            clockOffset = o.clockOffset;
            ringBufferBytes = o.ringBufferBytes;
            netns = o.netns;
        }

        AgentOptions build() {
            return new AgentOptions(host, clientProperties, eventsTopic, natTopic, heartbeatInterval, window, acceptPid, conntrack,
                    pollInterval, allowBpf, queueCapacity, metricsPort, topicWait, metricsAddress, unhealthyAfter, clockOffset,
                    ringBufferBytes, netns);
        }
    }

    private AgentOptions with(Consumer<Copy> change) {
        Copy c = new Copy(this);
        change.accept(c);
        return c.build();
    }
}
