package dev.conntrail.topology.errors;

import java.util.Map;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A record that decodes but that the topology refuses ({@link InputRejectedException}: a null value
 * on tcp-events, another record type, a field beyond the bounds, a key whose host is not the
 * value's, no tuple...) or that breaks the contract otherwise goes to the dead-letter topic with the
 * error and a reason code in headers; processing continues. A registry failure (writing a row's
 * schema) stops the thread instead: it is not about the record.
 */
public class DeadLetterProcessingHandler implements ProcessingExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterProcessingHandler.class);
    private DeadLetters deadLetters;

    @Override
    public void configure(Map<String, ?> configs) {
        deadLetters = DeadLetters.from(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (RegistryFailures.isRegistryFailure(exception)) {
            log.error("schema registry failure while processing {}-{}@{}: the stream thread stops ({})", context.topic(),
                    context.partition(), context.offset(), exception.toString());
            return Response.fail();
        }
        String reason = DeadLetters.reasonOf(exception);
        if (deadLetters.metrics() != null) deadLetters.metrics().deadLettered("processing", reason);
        deadLetters.log(log, "processing", context, reason, exception);
        return Response.resume(deadLetters.of(context, exception, reason));
    }
}
