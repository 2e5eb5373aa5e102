package dev.conntrail.topology.fleet;

import dev.conntrail.topology.TopicNames;
import dev.conntrail.topology.TopologySettings;
import dev.conntrail.topology.run.TopologyApp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** The real topology (TopologyApp, exactly_once_v2) over a simulated fleet's own topics: {@code <prefix>tcp-events} and so on. */
final class FleetTopology {
    private FleetTopology() {
    }

    static TopicNames topics(String prefix) {
        return new TopicNames(prefix + "tcp-events", prefix + "conntrack-nat", prefix + "connections", prefix + "connections-dlq");
    }

    static TopologyApp.Options options(Map<String, Object> client, String prefix, Path stateDir, Duration window, int partitions) {
        TopologySettings settings = TopologySettings.defaults(window).withTopics(topics(prefix));
        return new TopologyApp.Options(client, prefix + "app", "exactly_once_v2", stateDir, partitions, (short) 1, settings, -1,
                Duration.ofMinutes(1));
    }
}
