package dev.conntrail.topology.errors;

import dev.conntrail.topology.metrics.TopologyMetrics;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Undecodable input goes to the dead-letter topic ({@code errors.dead.letter.queue.topic.name}:
 * Kafka Streams copies the original key and value and puts the error in headers) and processing
 * continues; a registry that cannot be reached fails the stream thread instead, which
 * {@link RegistryOutageHandler} replaces so the record is retried.
 */
public class DeadLetterDeserializationHandler extends LogAndContinueExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);
    public static final String METRICS_CONFIG = "conntrail.topology.metrics";
    private TopologyMetrics metrics;

    @Override
    public void configure(Map<String, ?> configs) {
        super.configure(configs);
        metrics = (TopologyMetrics) configs.get(METRICS_CONFIG);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        if (RegistryFailures.isUnreachable(exception)) {
            if (metrics != null) metrics.registryUnreachable();
            log.warn("schema registry unreachable while reading {}-{}@{}: will retry ({})", context.topic(), context.partition(),
                    context.offset(), exception.toString());
            return Response.fail();
        }
        if (metrics != null) metrics.deadLetteredInput();
        return super.handleError(context, record, exception);
    }
}
