package dev.conntrail.producer.agent;

import dev.conntrail.cli.UserFacingException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Producers never create topics (docs/design.md, "Topics", who creates topics): before the first send the agent
 * waits until its topics exist, saying which are missing and retrying, so the producer's metadata
 * requests cannot auto-create them on a broker that allows it.
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
}
