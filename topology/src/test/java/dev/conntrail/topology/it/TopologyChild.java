package dev.conntrail.topology.it;

import dev.conntrail.topology.TopicNames;
import dev.conntrail.topology.TopologySettings;
import dev.conntrail.topology.run.TopologyApp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** The topology alone in a JVM, so a test can SIGKILL it: args bootstrap, state dir, application id, window seconds, topic prefix, registry URL. */
public final class TopologyChild {
    public static void main(String[] args) throws Exception {
        Map<String, Object> client = new HashMap<>();
        client.put("bootstrap.servers", args[0]);
        client.put("schema.registry.url", args[5]);
        client.put("session.timeout.ms", 6000); // the broker's minimum: the restarted child gets the killed one's tasks sooner
        String p = args[4];
        TopologySettings settings = TopologySettings.defaults(Duration.ofSeconds(Long.parseLong(args[3])))
                .withTopics(new TopicNames(p + "tcp-events", p + "conntrack-nat", p + "connections", p + "connections-dlq"));
        TopologyApp.Options o = new TopologyApp.Options(client, args[2], "exactly_once_v2", Path.of(args[1]), 2, (short) 1, settings, -1,
                Duration.ofMinutes(1));
        TopologyApp app = TopologyApp.start(o);
        Runtime.getRuntime().addShutdownHook(new Thread(app::close));
        System.out.println("started");
        System.out.flush();
        app.awaitStop(Duration.ofMinutes(10));
    }
}
