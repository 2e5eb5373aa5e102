package dev.conntrail.producer.agent;

import dev.conntrail.schemas.HostPartitioner;
import dev.conntrail.schemas.Keys;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Design rule 7 (NAT) after a restart: the NAT keys of this host that are live on the compacted topic (published by
 * an earlier run and not tombstoned), so they can be tombstoned when the kernel no longer holds them.
 * Reads only this host's partition, to its end offset; values are not decoded (null = tombstone).
 *
 * <p>A read that fails (the broker unreachable, a timeout, a leader moving) is counted
 * ({@code conntrail_producer_nat_keys_read_failures_total}) and said in the log, and retried: the
 * agent tries once at start ({@link #tryOnce}), and when that fails, again in the background
 * ({@link #retryInBackground}) with a growing pause, for at most {@link Policy#attempts} attempts;
 * the keys it then reads are handed to {@link NatSync#adoptEarlierKeys}, which tombstones those the
 * kernel no longer holds. Only after the last attempt fails do an earlier run's stale keys stay until
 * their DESTROY (said once, at ERROR).
 */
final class NatKeysReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NatKeysReader.class);

    /**
     * @param attemptTimeout how long one read may take (metadata, end offset, reading to it)
     * @param attempts       reads in all, the first included
     * @param firstPause     the pause after the first failure; it doubles up to {@code maxPause}
     */
    record Policy(Duration attemptTimeout, int attempts, Duration firstPause, Duration maxPause) {
        /** 30 s per read; 8 reads over about 5 minutes. */
        static Policy defaults() {
            return new Policy(Duration.ofSeconds(30), 8, Duration.ofSeconds(2), Duration.ofSeconds(30));
        }
    }

    private final Map<String, Object> clientProperties;
    private final String topic;
    private final String host;
    private final AgentMetrics metrics;
    private final Policy policy;
    private volatile boolean closed;
    private Thread retrying;
    private int failures;

    NatKeysReader(Map<String, Object> clientProperties, String topic, String host, AgentMetrics metrics, Policy policy) {
        this.clientProperties = clientProperties;
        this.topic = topic;
        this.host = host;
        this.metrics = metrics;
        this.policy = policy;
    }

    /** One read; empty (counted, logged) when it fails. */
    Optional<Map<String, Long>> tryOnce() {
        try {
            Map<String, Long> keys = liveKeys(clientProperties, topic, host, policy.attemptTimeout());
            if (failures > 0) {
                LOG.info("read {}'s NAT keys back from {} after {} failed attempts: {} keys of an earlier run", host, topic, failures,
                        keys.size());
            }
            return Optional.of(keys);
        } catch (RuntimeException e) {
            failures++;
            metrics.natKeysReadFailed();
            boolean last = failures >= policy.attempts();
            if (last) {
                LOG.error("cannot read {}'s NAT keys back from {} ({}), attempt {} of {}: giving up; NAT keys an earlier run left on the topic "
                        + "stay until their DESTROY or the next start", host, topic, e.toString(), failures, policy.attempts());
            } else {
                LOG.warn("cannot read {}'s NAT keys back from {} ({}), attempt {} of {}: retrying, so stale keys of an earlier run get "
                        + "their tombstones", host, topic, e.toString(), failures, policy.attempts());
            }
            return Optional.empty();
        }
    }

    /** Retries on a thread of its own until a read succeeds (handing its keys to {@code onKeys}), the attempts run out, or close. */
    synchronized void retryInBackground(Consumer<Map<String, Long>> onKeys) {
        if (retrying != null || closed) return;
        retrying = new Thread(() -> {
            long pause = policy.firstPause().toMillis();
            while (!closed && failures < policy.attempts()) {
                if (!sleep(pause)) return;
                pause = Math.min(pause * 2, policy.maxPause().toMillis());
                Optional<Map<String, Long>> keys = tryOnce();
                if (keys.isPresent() && !closed) {
                    onKeys.accept(keys.get());
                    return;
                }
            }
        }, "conntrail-nat-keys");
        retrying.setDaemon(true);
        retrying.start();
    }

    /** Whether the background retries are over (keys handed on, given up, or never started). */
    synchronized boolean done() {
        return retrying == null || !retrying.isAlive();
    }

    private boolean sleep(long ms) {
        long until = System.nanoTime() + ms * 1_000_000;
        try {
            while (!closed && System.nanoTime() < until) {
                Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return !closed;
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = retrying;
        }
        if (t != null) {
            try {
                t.join(policy.attemptTimeout().toMillis() + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Live key → namespace inode (parsed from the key); throws when the topic cannot be read in time. */
    static Map<String, Long> liveKeys(Map<String, Object> clientProperties, String topic, String host, Duration timeout) {
        Map<String, Object> props = new HashMap<>(clientProperties);
        props.keySet().removeIf(k -> k.startsWith("schema.registry") || k.contains("serializer") || k.contains("deserializer"));
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // producers never create topics
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "conntrail-producer-nat-keys");
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        Map<String, Long> live = new HashMap<>();
        String prefix = host + Keys.SEPARATOR;
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " has no partitions (missing?)");
            }
            TopicPartition tp = new TopicPartition(topic, HostPartitioner.partitionFor(host, infos.size()));
            consumer.assign(Set.of(tp));
            consumer.seekToBeginning(Set.of(tp));
            long end = consumer.endOffsets(Set.of(tp), timeout).get(tp);
            while (consumer.position(tp, timeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new org.apache.kafka.common.errors.TimeoutException("reading " + tp + " to its end offset " + end + " took longer than "
                            + timeout.toSeconds() + " s");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() == null || !r.key().startsWith(prefix)) {
                        continue;
                    }
                    if (r.value() == null) {
                        live.remove(r.key());
                    } else {
                        live.put(r.key(), netnsOf(r.key()));
                    }
                }
            }
        }
        return live;
    }

    /** The netns segment of {@code host|netns|zone|...}; -1 when absent. */
    static long netnsOf(String key) {
        String[] parts = key.split("\\|", 3);
        try {
            return parts.length > 1 ? Long.parseLong(parts[1]) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
