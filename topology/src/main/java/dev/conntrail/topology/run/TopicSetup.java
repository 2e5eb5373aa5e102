package dev.conntrail.topology.run;

import dev.conntrail.cli.UserFacingException;
import dev.conntrail.topology.TopicNames;
import dev.conntrail.topology.graph.GraphTopics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the four topics of docs/design.md when they are missing, with the contract's cleanup
 * policies, and refuses to start when the two inputs have different partition counts (a host's
 * events and NAT entries would land in different tasks) or {@code connections} has another count
 * than the inputs (a task rebuilds its rows from the {@code connections} partition with its own
 * number).
 */
public final class TopicSetup {
    private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);
    static final long DAY_MS = Duration.ofDays(1).toMillis();
    /** Readers that lag less than this see every row change, even of a connection that lived a microsecond. */
    static final long CONNECTIONS_MIN_COMPACTION_LAG_MS = Duration.ofMinutes(5).toMillis();
    /** Tombstones stay a day, so a reader rebuilding the table within a day sees rows go. */
    static final long CONNECTIONS_DELETE_RETENTION_MS = DAY_MS;
    /** Segments roll hourly so compaction can start (the default week would keep every row change a week). */
    static final long CONNECTIONS_SEGMENT_MS = Duration.ofHours(1).toMillis();

    private TopicSetup() {
    }

    static Map<String, String> configsOf(TopicNames names, String topic) {
        if (topic.equals(names.events())) {
            return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                    TopicConfig.RETENTION_MS_CONFIG, Long.toString(DAY_MS));
        }
        if (topic.equals(names.nat())) {
            return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        }
        if (topic.equals(names.connections())) {
            return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                    TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, Long.toString(CONNECTIONS_MIN_COMPACTION_LAG_MS),
                    TopicConfig.DELETE_RETENTION_MS_CONFIG, Long.toString(CONNECTIONS_DELETE_RETENTION_MS),
                    TopicConfig.SEGMENT_MS_CONFIG, Long.toString(CONNECTIONS_SEGMENT_MS));
        }
        return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                TopicConfig.RETENTION_MS_CONFIG, Long.toString(7 * DAY_MS));
    }

    /**
     * @param partitions  for topics that do not exist yet; existing inputs keep theirs (and a
     *                    missing input gets the existing one's count)
     * @return the input partition count in use
     */
    public static int ensure(Admin admin, TopicNames names, int partitions, short replicationFactor, Duration timeout) {
        List<String> all = List.of(names.events(), names.nat(), names.connections(), names.deadLetters());
        try {
            Map<String, TopicDescription> existing = describeExisting(admin, all, timeout);
            Integer events = count(existing, names.events());
            Integer nat = count(existing, names.nat());
            if (events != null && nat != null && !events.equals(nat)) {
                throw new UserFacingException("topics " + names.events() + " (" + events + " partitions) and " + names.nat() + " ("
                        + nat + " partitions) must have the same partition count, or a host's events and NAT entries meet in "
                        + "different tasks; recreate one of them with " + Math.max(events, nat) + " partitions");
            }
            Integer connections = count(existing, names.connections());
            int inputs = events != null ? events : nat != null ? nat : connections != null ? connections : partitions;
            if (connections != null && connections != inputs) {
                throw new UserFacingException("topic " + names.connections() + " has " + connections + " partitions but the inputs have "
                        + inputs + ": each task rebuilds its rows from the partition of " + names.connections() + " with its own number, "
                        + "so the counts must match; recreate " + names.connections() + " with " + inputs
                        + " partitions (or name a new topic with --connections-topic)");
            }
            List<NewTopic> missing = new ArrayList<>();
            for (String topic : all) {
                if (!existing.containsKey(topic)) {
                    Optional<Short> rf = replicationFactor > 0 ? Optional.of(replicationFactor) : Optional.empty();
                    missing.add(new NewTopic(topic, Optional.of(inputs), rf).configs(configsOf(names, topic)));
                }
            }
            if (!missing.isEmpty()) {
                for (var entry : admin.createTopics(missing).values().entrySet()) {
                    try {
                        entry.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                        log.info("created topic {} ({} partitions, {})", entry.getKey(), inputs, configsOf(names, entry.getKey()));
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)) throw e; // another instance was faster
                    }
                }
                // re-check: a concurrent creator may have used another count
                return ensure(admin, names, inputs, replicationFactor, timeout);
            }
            return inputs;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserFacingException("interrupted while setting up topics");
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new UserFacingException("cannot set up the topics (" + cause + "): check --bootstrap-servers and that the "
                    + "client may describe and create topics", cause);
        }
    }

    /**
     * Creates the service graph's three compacted topics when missing, with the inputs' partition count
     * (docs/design.md, "The service graph"). Their counts need not match the inputs': each is read by its own
     * sub-topology, and its keys place its records.
     */
    public static void ensureGraph(Admin admin, GraphTopics graph, int partitions, short replicationFactor, Duration timeout) {
        List<String> all = List.of(graph.ends(), graph.edges(), graph.workloads());
        try {
            Map<String, TopicDescription> existing = describeExisting(admin, all, timeout);
            List<NewTopic> missing = new ArrayList<>();
            Map<String, String> compacted = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                    TopicConfig.DELETE_RETENTION_MS_CONFIG, Long.toString(CONNECTIONS_DELETE_RETENTION_MS),
                    TopicConfig.SEGMENT_MS_CONFIG, Long.toString(CONNECTIONS_SEGMENT_MS));
            for (String topic : all) {
                if (!existing.containsKey(topic)) {
                    Optional<Short> rf = replicationFactor > 0 ? Optional.of(replicationFactor) : Optional.empty();
                    missing.add(new NewTopic(topic, Optional.of(partitions), rf).configs(compacted));
                }
            }
            for (var entry : admin.createTopics(missing).values().entrySet()) {
                try {
                    entry.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    log.info("created topic {} ({} partitions, {})", entry.getKey(), partitions, compacted);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) throw e; // another instance was faster
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserFacingException("interrupted while setting up the service graph's topics");
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new UserFacingException("cannot set up the service graph's topics (" + cause + "): check --bootstrap-servers and that the "
                    + "client may describe and create topics", cause);
        }
    }

    /** The largest record {@code connections} and the dead-letter topic accept ({@code max.message.bytes}). */
    public record Limits(int connectionsMaxMessageBytes, int deadLettersMaxMessageBytes) {
    }

    /** The record limits of {@code connections} and the dead-letter topic; Kafka's default (1 MiB) for one that cannot be read. */
    public static Limits limits(Admin admin, TopicNames names, Duration timeout) {
        ConfigResource connections = new ConfigResource(ConfigResource.Type.TOPIC, names.connections());
        ConfigResource deadLetters = new ConfigResource(ConfigResource.Type.TOPIC, names.deadLetters());
        int fallback = 1024 * 1024 + 12;
        try {
            Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(connections, deadLetters)).all()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new Limits(maxMessageBytes(configs.get(connections), fallback), maxMessageBytes(configs.get(deadLetters), fallback));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserFacingException("interrupted while reading the topics' configs");
        } catch (ExecutionException | TimeoutException e) {
            log.warn("cannot read max.message.bytes of {} and {} ({}); assuming Kafka's default", names.connections(), names.deadLetters(),
                    e instanceof ExecutionException ? e.getCause() : e);
            return new Limits(fallback, fallback);
        }
    }

    private static int maxMessageBytes(Config config, int fallback) {
        ConfigEntry e = config == null ? null : config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
        try {
            return e == null || e.value() == null ? fallback : Integer.parseInt(e.value());
        } catch (NumberFormatException x) {
            return fallback;
        }
    }

    private static Integer count(Map<String, TopicDescription> existing, String topic) {
        TopicDescription d = existing.get(topic);
        return d == null ? null : d.partitions().size();
    }

    private static Map<String, TopicDescription> describeExisting(Admin admin, List<String> topics, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        Set<String> names = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        List<String> present = topics.stream().filter(names::contains).toList();
        if (present.isEmpty()) return Map.of();
        return admin.describeTopics(present).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
