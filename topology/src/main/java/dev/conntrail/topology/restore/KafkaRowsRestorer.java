package dev.conntrail.topology.restore;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import dev.conntrail.topology.metrics.TopologyMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a task's partition of {@code connections} from its beginning (or from where an earlier
 * replay ended) to its end with a {@code read_committed} consumer of its own (bytes; the caller
 * decodes). Progress is logged every 5 s; a replay that outlasts the stream thread's limits is
 * told ({@link RestoreLimits}).
 *
 * <p>Why the committed topic is exactly the task's state: under {@code exactly_once_v2} a task's
 * row changes and its input offsets commit in one transaction, and only this task writes this
 * partition (the sink partitions by host like the inputs, with the same partition count). Kafka
 * Streams fetches the committed input offsets with {@code requireStable} (a transaction that
 * carries offsets for them must finish first) before it initialises the processors, where this
 * runs. So the committed records of the partition are the state as of those offsets — the same
 * argument that makes a changelog topic restore a store. One more step closes the gap between
 * a commit and its markers: the transaction coordinator writes the commit markers to the offsets
 * partition and to this partition separately, so the restore first waits until the partition has
 * no open transaction at all (last stable offset = high watermark: an earlier owner's transaction
 * is then committed or aborted everywhere; a killed one is aborted by its transaction timeout),
 * and reads up to there. Nothing else can open one meanwhile: the task has not started.
 */
public final class KafkaRowsRestorer implements RowsRestorer {
    private static final Logger log = LoggerFactory.getLogger(KafkaRowsRestorer.class);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    private final Map<String, Object> consumerConfig;
    private final Map<String, Object> adminConfig;
    private final Duration settleTimeout;
    private final Duration stallTimeout;
    private final RestoreLimits limits;
    private Admin admin;
    /**
     * One consumer per stream thread, kept between restores: creating one cost ~0.1-0.5 s per task (measured).
     * A thread Streams replaced (after an uncaught exception) leaves its consumer behind: closed when the
     * next consumer is made.
     */
    private final Map<Thread, KafkaConsumer<byte[], byte[]>> consumers = new HashMap<>();

    /**
     * @param streamsProperties the Streams configuration of the topology (client settings, TLS,
     *                          SASL and {@code restore.consumer.*} overrides apply)
     */
    public KafkaRowsRestorer(Properties streamsProperties) {
        this(streamsProperties, null);
    }

    /** @param metrics where restores that outlast the stream thread's limits are counted; null: nowhere */
    public KafkaRowsRestorer(Properties streamsProperties, TopologyMetrics metrics) {
        this(streamsProperties, Duration.ofSeconds(60), Duration.ofSeconds(60), metrics);
    }

    public KafkaRowsRestorer(Properties streamsProperties, Duration settleTimeout, Duration stallTimeout) {
        this(streamsProperties, settleTimeout, stallTimeout, null);
    }

    /**
     * @param settleTimeout how long to wait for an earlier owner's open transaction on the partition
     *                      (Streams' EOS transaction timeout is 10 s)
     * @param stallTimeout  how long reading may make no progress
     */
    public KafkaRowsRestorer(Properties streamsProperties, Duration settleTimeout, Duration stallTimeout, TopologyMetrics metrics) {
        StreamsConfig config = new StreamsConfig(streamsProperties);
        limits = RestoreLimits.of(config, metrics);
        consumerConfig = new HashMap<>(config.getRestoreConsumerConfigs("conntrail-rows-restore"));
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
        consumerConfig.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        // the end is known: a fetch that finds nothing new (only markers left) should not wait the default 500 ms
        consumerConfig.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
        adminConfig = new HashMap<>(config.getAdminConfigs("conntrail-rows-restore-admin"));
        this.settleTimeout = settleTimeout;
        this.stallTimeout = stallTimeout;
    }

    @Override
    public long replay(ProcessorContext<?, ?> context, String topic, int partition, long fromOffset, RecordHandler each) {
        TopicPartition tp = new TopicPartition(topic, partition);
        long end = settledEnd(tp);
        long handed = 0;
        if (end <= fromOffset) return 0; // nothing was ever written, or nothing since
        KafkaConsumer<byte[], byte[]> consumer = consumer();
        try {
            consumer.assign(List.of(tp));
            if (fromOffset > 0) {
                long begin = consumer.beginningOffsets(List.of(tp)).get(tp);
                if (begin > fromOffset) {
                    throw new OffsetGoneException(tp + " starts at offset " + begin + " now, past " + fromOffset);
                }
                consumer.seek(tp, fromOffset);
            } else {
                consumer.seekToBeginning(List.of(tp));
            }
            long start = System.nanoTime();
            long lastProgress = start;
            long nextLog = start + PROGRESS_EVERY.toNanos();
            RestoreLimits.Watch watch = limits.watch(tp, start);
            long position = consumer.position(tp);
            while (position < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.offset() >= end) break;
                    each.accept(r.offset(), r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8), r.value(), r.headers());
                    handed++;
                }
                long now = System.nanoTime();
                long at = consumer.position(tp);
                if (at > position) lastProgress = now;
                position = at;
                if (now - lastProgress > stallTimeout.toNanos()) {
                    throw new StreamsException("restoring rows from " + tp + " made no progress for " + stallTimeout.toSeconds()
                            + " s at offset " + position + " of " + end + ": check the brokers");
                }
                if (now >= nextLog) {
                    double s = (now - start) / 1e9;
                    log.info("restoring rows from {}: offset {} of {}, {} records in {} s ({} records/s)", tp, position, end, handed,
                            Math.round(s), Math.round(handed / s));
                    nextLog = now + PROGRESS_EVERY.toNanos();
                }
                watch.check(now, position, end);
            }
        } finally {
            consumer.assign(List.of());
        }
        return handed;
    }

    /** The calling stream thread's consumer. */
    synchronized KafkaConsumer<byte[], byte[]> consumer() {
        KafkaConsumer<byte[], byte[]> c = consumers.get(Thread.currentThread());
        if (c == null) {
            closeConsumersOfEndedThreads();
            c = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumers.put(Thread.currentThread(), c);
        }
        return c;
    }

    /** Consumers whose thread ended (nobody else uses them: safe to close from here). */
    private void closeConsumersOfEndedThreads() {
        var it = consumers.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (!e.getKey().isAlive()) {
                log.debug("closing the rows-restore consumer of ended thread {}", e.getKey().getName());
                e.getValue().close(Duration.ofSeconds(5));
                it.remove();
            }
        }
    }

    /** Open consumers (one per stream thread that restored and is alive, or ended since the last new one). */
    synchronized int openConsumers() {
        return consumers.size();
    }

    /** The partition's end once no transaction is open on it (last stable offset = high watermark). */
    private long settledEnd(TopicPartition tp) {
        long deadline = System.nanoTime() + settleTimeout.toNanos();
        boolean told = false;
        try {
            while (true) {
                var stableFuture = latest(tp, IsolationLevel.READ_COMMITTED);
                var highFuture = latest(tp, IsolationLevel.READ_UNCOMMITTED);
                long stable = stableFuture.get(30, TimeUnit.SECONDS).offset();
                long high = highFuture.get(30, TimeUnit.SECONDS).offset();
                if (stable >= high) return high;
                if (System.nanoTime() > deadline) {
                    throw new StreamsException(tp + " still has an open transaction after " + settleTimeout.toSeconds()
                            + " s (last stable offset " + stable + ", high watermark " + high + "); cannot restore its rows");
                }
                if (!told) {
                    log.info("{}: waiting for an earlier owner's transaction to finish before restoring rows (last stable offset {} < {})",
                            tp, stable, high);
                    told = true;
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamsException("interrupted while restoring rows from " + tp, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new StreamsException("cannot read the end offsets of " + tp + " to restore its rows: " + e, e);
        }
    }

    private org.apache.kafka.common.KafkaFuture<org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo> latest(
            TopicPartition tp, IsolationLevel isolation) {
        return admin().listOffsets(Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(isolation)).partitionResult(tp);
    }

    private synchronized Admin admin() {
        if (admin == null) admin = Admin.create(adminConfig);
        return admin;
    }

    @Override
    public synchronized void close() {
        // after Streams closed: no stream thread uses its consumer any more
        for (KafkaConsumer<byte[], byte[]> c : consumers.values()) c.close(Duration.ofSeconds(5));
        consumers.clear();
        if (admin != null) admin.close(Duration.ofSeconds(5));
        admin = null;
    }
}
