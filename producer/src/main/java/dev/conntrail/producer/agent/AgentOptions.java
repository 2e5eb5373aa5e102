package dev.conntrail.producer.agent;

import dev.conntrail.cli.MetricsServer;
import dev.conntrail.producer.bpf.tracer.AcceptPidMode;
import dev.conntrail.producer.conntrack.ConntrackReader;
import dev.conntrail.producer.ns.NetnsFilter;
import java.time.Duration;
import java.util.Map;

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
        return new AgentOptions(host, clientProperties, events, nat, heartbeatInterval, window, acceptPid, conntrack, pollInterval,
                allowBpf, queueCapacity, metricsPort, topicWait, metricsAddress, unhealthyAfter, clockOffset, ringBufferBytes, netns);
    }

    public AgentOptions withIntervals(Duration heartbeat, Duration window, Duration poll) {
        return new AgentOptions(host, clientProperties, eventsTopic, natTopic, heartbeat, window, acceptPid, conntrack, poll,
                allowBpf, queueCapacity, metricsPort, topicWait, metricsAddress, unhealthyAfter, clockOffset, ringBufferBytes, netns);
    }

    public AgentOptions withAcceptPid(AcceptPidMode mode) {
        return new AgentOptions(host, clientProperties, eventsTopic, natTopic, heartbeatInterval, window, mode, conntrack, pollInterval,
                allowBpf, queueCapacity, metricsPort, topicWait, metricsAddress, unhealthyAfter, clockOffset, ringBufferBytes, netns);
    }

    public AgentOptions withConntrack(ConntrackReader.Scope scope) {
        return new AgentOptions(host, clientProperties, eventsTopic, natTopic, heartbeatInterval, window, acceptPid, scope, pollInterval,
                allowBpf, queueCapacity, metricsPort, topicWait, metricsAddress, unhealthyAfter, clockOffset, ringBufferBytes, netns);
    }

    public AgentOptions withBpf(boolean allow) {
        return new AgentOptions(host, clientProperties, eventsTopic, natTopic, heartbeatInterval, window, acceptPid, conntrack, pollInterval,
                allow, queueCapacity, metricsPort, topicWait, metricsAddress, unhealthyAfter, clockOffset, ringBufferBytes, netns);
    }

    public AgentOptions withQueueCapacity(int n) {
        return new AgentOptions(host, clientProperties, eventsTopic, natTopic, heartbeatInterval, window, acceptPid, conntrack, pollInterval,
                allowBpf, n, metricsPort, topicWait, metricsAddress, unhealthyAfter, clockOffset, ringBufferBytes, netns);
    }

    public AgentOptions withMetricsPort(int port) {
        return new AgentOptions(host, clientProperties, eventsTopic, natTopic, heartbeatInterval, window, acceptPid, conntrack, pollInterval,
                allowBpf, queueCapacity, port, topicWait, metricsAddress, unhealthyAfter, clockOffset, ringBufferBytes, netns);
    }

    public AgentOptions withTopicWait(Duration wait) {
        return new AgentOptions(host, clientProperties, eventsTopic, natTopic, heartbeatInterval, window, acceptPid, conntrack, pollInterval,
                allowBpf, queueCapacity, metricsPort, wait, metricsAddress, unhealthyAfter, clockOffset, ringBufferBytes, netns);
    }

    public AgentOptions withMetricsAddress(String address) {
        return new AgentOptions(host, clientProperties, eventsTopic, natTopic, heartbeatInterval, window, acceptPid, conntrack, pollInterval,
                allowBpf, queueCapacity, metricsPort, topicWait, address, unhealthyAfter, clockOffset, ringBufferBytes, netns);
    }

    public AgentOptions withUnhealthyAfter(Duration after) {
        return new AgentOptions(host, clientProperties, eventsTopic, natTopic, heartbeatInterval, window, acceptPid, conntrack, pollInterval,
                allowBpf, queueCapacity, metricsPort, topicWait, metricsAddress, after, clockOffset, ringBufferBytes, netns);
    }

    public AgentOptions withClockOffset(Duration offset) {
        return new AgentOptions(host, clientProperties, eventsTopic, natTopic, heartbeatInterval, window, acceptPid, conntrack, pollInterval,
                allowBpf, queueCapacity, metricsPort, topicWait, metricsAddress, unhealthyAfter, offset, ringBufferBytes, netns);
    }

    public AgentOptions withRingBufferBytes(int bytes) {
        return new AgentOptions(host, clientProperties, eventsTopic, natTopic, heartbeatInterval, window, acceptPid, conntrack, pollInterval,
                allowBpf, queueCapacity, metricsPort, topicWait, metricsAddress, unhealthyAfter, clockOffset, bytes, netns);
    }

    public AgentOptions withNetns(NetnsFilter filter) {
        return new AgentOptions(host, clientProperties, eventsTopic, natTopic, heartbeatInterval, window, acceptPid, conntrack, pollInterval,
                allowBpf, queueCapacity, metricsPort, topicWait, metricsAddress, unhealthyAfter, clockOffset, ringBufferBytes, filter);
    }
}
