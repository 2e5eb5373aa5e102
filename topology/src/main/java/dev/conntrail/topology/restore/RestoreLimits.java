package dev.conntrail.topology.restore;

import dev.conntrail.topology.metrics.TopologyMetrics;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long a restore may take before the stream thread it runs on pays for it. Kafka Streams
 * initialises a task's processor (where the rows are restored) on the stream thread, between
 * processing rounds: the thread polls nothing meanwhile, and the transaction its other tasks opened
 * since their last commit stays open. So a restore that outlasts
 * <ul>
 * <li>{@code transaction.timeout.ms} (Streams' default under exactly-once: 10 s) may find that
 * transaction aborted by the broker: the thread's producer is fenced, its tasks are closed and
 * reassigned, their uncommitted work redone;</li>
 * <li>{@code max.poll.interval.ms} (default 5 min) makes the member leave its group: its tasks are
 * reassigned, and a task given back to it is initialised again (a restore that was not changed since
 * continues where it ended: {@code HeapRowTable}).</li>
 * </ul>
 * Each is logged once per restore when passed, with what to do, and counted
 * ({@code conntrail_topology_rows_restore_overlong_total{limit}}).
 */
final class RestoreLimits {
    private static final Logger log = LoggerFactory.getLogger(RestoreLimits.class);

    private final long transactionTimeoutMs;
    private final long maxPollIntervalMs;
    private final TopologyMetrics metrics;

    RestoreLimits(long transactionTimeoutMs, long maxPollIntervalMs, TopologyMetrics metrics) {
        this.transactionTimeoutMs = transactionTimeoutMs;
        this.maxPollIntervalMs = maxPollIntervalMs;
        this.metrics = metrics;
    }

    /** The limits the Streams configuration gives the stream threads; no transaction timeout without exactly-once. */
    static RestoreLimits of(StreamsConfig config, TopologyMetrics metrics) {
        Map<String, Object> consumer = config.getMainConsumerConfigs("limits", "limits", 0);
        long maxPoll = number(consumer.get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG), 300_000);
        boolean exactlyOnce = !StreamsConfig.AT_LEAST_ONCE.equals(config.getString(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        long transaction = exactlyOnce ? number(config.getProducerConfigs("limits").get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), 60_000) : -1;
        return new RestoreLimits(transaction, maxPoll, metrics);
    }

    private static long number(Object value, long otherwise) {
        if (value == null) return otherwise;
        return value instanceof Number n ? n.longValue() : Long.parseLong(value.toString().trim());
    }

    long transactionTimeoutMs() {
        return transactionTimeoutMs;
    }

    long maxPollIntervalMs() {
        return maxPollIntervalMs;
    }

    Watch watch(TopicPartition tp, long startNanos) {
        return new Watch(tp, startNanos);
    }

    /** One restore: says each limit once, when it is passed. */
    final class Watch {
        private final TopicPartition tp;
        private final long startNanos;
        private boolean pastTransaction;
        private boolean pastPoll;

        private Watch(TopicPartition tp, long startNanos) {
            this.tp = tp;
            this.startNanos = startNanos;
        }

        void check(long nowNanos, long position, long end) {
            long ms = Duration.ofNanos(nowNanos - startNanos).toMillis();
            if (!pastTransaction && transactionTimeoutMs > 0 && ms > transactionTimeoutMs) {
                pastTransaction = true;
                if (metrics != null) metrics.restoreOverlong("transaction-timeout");
                log.warn("restoring rows from {} has taken {} s (offset {} of {}), longer than the stream thread's transaction timeout "
                        + "({} s): if its other tasks had records in flight, their transaction is aborted and the thread's tasks are "
                        + "reassigned and redo that work. Raise producer.transaction.timeout.ms, spread the table over more "
                        + "partitions or instances, or use --state-store rocksdb", tp, ms / 1000, position, end, transactionTimeoutMs / 1000);
            }
            if (!pastPoll && ms > maxPollIntervalMs) {
                pastPoll = true;
                if (metrics != null) metrics.restoreOverlong("max-poll-interval");
                log.warn("restoring rows from {} has taken {} s (offset {} of {}), longer than max.poll.interval.ms ({} s): this "
                        + "instance has left its consumer group and its tasks are reassigned; if this task comes back here it "
                        + "continues from where this restore ends. Raise max.poll.interval.ms (--kafka-property), spread the table "
                        + "over more partitions or instances, or use --state-store rocksdb", tp, ms / 1000, position, end,
                        maxPollIntervalMs / 1000);
            }
        }
    }
}
