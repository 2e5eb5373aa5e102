package dev.conntrail.producer.agent;

import dev.conntrail.cli.UserFacingException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Producers never create topics (docs/design.md, "Topics", who creates topics): before the first send the agent
 * waits until its topics exist, saying which are missing and retrying, so the producer's metadata
 * requests cannot auto-create them on a broker that allows it. Kafka's producer client cannot be told not to ask
 * for auto-creation (it has no {@code allow.auto.create.topics}), so a topic deleted while the agent runs comes
 * back, with the broker's default partition count, wherever the broker has {@code auto.create.topics.enable=true}:
 * once the topics exist, the agent looks at that broker setting and warns when it is on.
 */
final class TopicWaiter {
    private static final Logger LOG = LoggerFactory.getLogger(TopicWaiter.class);
    private static final long RETRY_MILLIS = 2_000;

    private TopicWaiter() {
    }

    static void awaitTopics(Map<String, Object> clientProperties, List<String> topics, Duration giveUp, BooleanSupplier cancelled) {
        Map<String, Object> props = new HashMap<>(clientProperties);
        props.keySet().removeIf(k -> k.startsWith("schema.registry") || k.startsWith("basic.auth") || k.contains("serializer")
                || k.equals("auto.register.schemas") || k.equals("use.latest.version"));
        long deadline = System.nanoTime() + giveUp.toNanos();
        boolean warned = false;
        try (Admin admin = Admin.create(props)) {
            while (true) {
                List<String> missing = new ArrayList<>(topics);
                try {
                    Set<String> names = admin.listTopics().names().get(10, TimeUnit.SECONDS);
                    missing.removeAll(names);
                    if (missing.isEmpty()) {
                        warnIfBrokerCreatesTopics(admin, topics);
                        return;
                    }
                    if (!warned) {
                        LOG.warn("topic(s) {} missing on {}: producers never create topics; start `conntrail topology` "
                                + "(it creates them) or create them; retrying every {} s", missing,
                                props.get("bootstrap.servers"), RETRY_MILLIS / 1000);
                        warned = true;
                    }
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    LOG.warn("cannot list topics on {} ({}); retrying", props.get("bootstrap.servers"), e.toString());
                }
                if (System.nanoTime() > deadline) {
                    throw new UserFacingException("topics " + missing + " still missing on " + props.get("bootstrap.servers")
                            + " after " + giveUp.toSeconds() + " s: start `conntrail topology` or create them");
                }
                for (long slept = 0; slept < RETRY_MILLIS; slept += 100) {
                    if (cancelled.getAsBoolean()) {
                        throw new UserFacingException("stopped while waiting for topics " + missing);
                    }
                    Thread.sleep(100);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserFacingException("interrupted while waiting for topics " + topics);
        }
    }

    /** One warning when the broker would create a deleted topic again for the producer (its default is to). */
    static void warnIfBrokerCreatesTopics(Admin admin, List<String> topics) {
        try {
            Collection<Node> nodes = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
            if (nodes.isEmpty()) {
                return;
            }
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(nodes.iterator().next().id()));
            Config config = admin.describeConfigs(List.of(broker)).all().get(10, TimeUnit.SECONDS).get(broker);
            ConfigEntry entry = config == null ? null : config.get("auto.create.topics.enable");
            if (entry != null && "true".equalsIgnoreCase(entry.value())) {
                ConfigEntry partitions = config.get("num.partitions");
                LOG.warn("the broker has auto.create.topics.enable=true: if {} is deleted while producers run, Kafka's producer "
                        + "client creates it again with the broker's default of {} partition(s), which breaks partitioning by host; "
                        + "set auto.create.topics.enable=false on the brokers (producers never create topics)", topics,
                        partitions == null ? "?" : partitions.value());
            }
        } catch (ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
            LOG.debug("cannot read the broker's auto.create.topics.enable ({})", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
