package dev.conntrail.topology.errors;

import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Input that cannot be decoded goes to the dead-letter topic ({@link DeadLetters}: original key and
 * value, the error and a reason code in headers) and processing continues: a wrong magic byte, a
 * truncated or corrupt body, a writer schema with no class of ours, a schema id the registry
 * definitively does not know. A registry failure (unreachable, refusing us, throttling — already
 * waited out by the retrying registry client until it gave up) says nothing about the bytes: the
 * stream thread fails instead and {@link RegistryOutageHandler} says why.
 */
public class DeadLetterDeserializationHandler implements DeserializationExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);
    public static final String METRICS_CONFIG = "conntrail.topology.metrics";
    private DeadLetters deadLetters;

    @Override
    public void configure(Map<String, ?> configs) {
        deadLetters = DeadLetters.from(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        if (RegistryFailures.isRegistryFailure(exception)) {
            log.error("schema registry failure while reading {}-{}@{}: the record is not dead-lettered; the stream thread stops ({})",
                    context.topic(), context.partition(), context.offset(), exception.toString());
            return Response.fail();
        }
        String reason = DeadLetters.reasonOf(exception);
        if (deadLetters.metrics() != null) deadLetters.metrics().deadLettered("deserialization", reason);
        deadLetters.log(log, "deserialization", context, reason, exception);
        return Response.resume(deadLetters.of(context, exception, reason));
    }
}
