package dev.conntrail.topology;

import dev.conntrail.topology.errors.DeadLetterDeserializationHandler;
import dev.conntrail.topology.errors.DeadLetterProcessingHandler;
import dev.conntrail.topology.errors.DeadLetterProductionHandler;
import dev.conntrail.topology.errors.DeadLetters;
import dev.conntrail.topology.errors.SinkLimit;
import dev.conntrail.topology.metrics.TopologyMetrics;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/** The Kafka Streams configuration of the topology: guarantee, dead-lettering, and settings measured to matter. */
public final class StreamsSettings {
    public static final String DEFAULT_APPLICATION_ID = "conntrail-topology";

    private StreamsSettings() {
    }

    /**
     * @param client       Kafka client and registry properties (bootstrap servers, TLS, SASL, schema.registry.url);
     *                     Streams settings in it win over the defaults here
     * @param guarantee    {@code exactly_once_v2} (default) or {@code at_least_once}
     * @param stateDir     where RocksDB keeps the stores; null for Kafka Streams' default
     */
    public static Properties of(Map<String, Object> client, String applicationId, String guarantee, Path stateDir,
            TopologySettings settings, TopologyMetrics metrics) {
        return of(client, applicationId, guarantee, stateDir, settings, metrics,
                new DeadLetters(settings.topics().deadLetters(), metrics, SinkLimit.unlimited(), DEFAULT_DEAD_LETTER_VALUE_BYTES));
    }

    /** A dead letter's value is cut beyond this when the dead-letter topic's limit is not known. */
    public static final int DEFAULT_DEAD_LETTER_VALUE_BYTES = 512 * 1024;

    /**
     * @param deadLetters what the exception handlers share: the dead-letter topic and its value limit,
     *                    the sink's record limit, the metrics
     */
    public static Properties of(Map<String, Object> client, String applicationId, String guarantee, Path stateDir,
            TopologySettings settings, TopologyMetrics metrics, DeadLetters deadLetters) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        // Kafka Streams' own default with EOS; keeps CLOSE -> CLOSED latency low
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        // profiled: with a task idle time >= 0 every record of a task whose other input partition
        // (conntrack-nat) is empty went through Streams' "all partitions buffered?" check, which
        // formats a log message each time (13 % of the stream thread). The rules do not need the two
        // inputs interleaved by timestamp (NAT entry first or connection first both converge), so no waiting.
        p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
        // row changes and changelog records in fewer, larger batches; the commit every 100 ms flushes anyway
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 131072);
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, settings.topics().deadLetters());
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterDeserializationHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProcessingHandler.class);
        p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProductionHandler.class);
        p.put(DeadLetterDeserializationHandler.METRICS_CONFIG, metrics);
        p.put(DeadLetters.CONFIG, deadLetters);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true); // no global stores; silences a warning
        if (!settings.storeCaching()) {
            // measured: the record cache costs throughput with our keys (BENCHMARKS.md)
            p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0L);
        }
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        if (stateDir != null) {
            p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        }
        client.forEach(p::put);
        return p;
    }
}
