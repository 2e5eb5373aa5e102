package dev.conntrail.topology.errors;

import dev.conntrail.topology.metrics.TopologyMetrics;
import java.util.Map;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;

/**
 * A record that decodes but breaks the contract (no host, no tuple, a key that is not a
 * connection id) goes to the dead-letter topic with the error in headers; processing continues.
 */
public class DeadLetterProcessingHandler extends LogAndContinueProcessingExceptionHandler {
    private TopologyMetrics metrics;

    @Override
    public void configure(Map<String, ?> configs) {
        super.configure(configs);
        metrics = (TopologyMetrics) configs.get(DeadLetterDeserializationHandler.METRICS_CONFIG);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (RegistryFailures.isUnreachable(exception)) {
            return Response.fail();
        }
        if (metrics != null) metrics.deadLetteredProcessing();
        return super.handleError(context, record, exception);
    }
}
