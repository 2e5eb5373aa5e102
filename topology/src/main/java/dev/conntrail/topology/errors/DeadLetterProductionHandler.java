package dev.conntrail.topology.errors;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failures of the sink for one record.
 * <ul>
 *   <li>A row change that cannot be serialized (a registry failure aside) never reached the producer:
 *       the input is dead-lettered ({@code unserializable}) and processing continues.</li>
 *   <li>A row change (or a dead letter) the broker refuses as too large: the transaction it was in
 *       cannot commit any more, so this lowers the {@link SinkLimit} (or the dead letters' value
 *       limit) below that record's size and fails the stream thread; {@link RegistryOutageHandler}
 *       replaces the thread, the task processes its input again from the last commit, and the
 *       processor now dead-letters the input whose row does not fit ({@code row-too-large}) instead
 *       of sending it. Counted in {@code dead_lettered_total{stage="production"}}.</li>
 *   <li>Retriable errors are retried (Kafka Streams' default); anything else fails the thread.</li>
 * </ul>
 */
public class DeadLetterProductionHandler implements ProductionExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterProductionHandler.class);
    private DeadLetters deadLetters;

    @Override
    public void configure(Map<String, ?> configs) {
        deadLetters = DeadLetters.from(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
        if (exception instanceof RetriableException) {
            return Response.retry();
        }
        if (exception instanceof RecordTooLargeException || exception instanceof RecordBatchTooLargeException) {
            int size = sizeOf(record);
            long now = System.currentTimeMillis();
            if (record.topic().equals(deadLetters.topic())) {
                deadLetters.refused(record.value() == null ? 0 : record.value().length, now);
                log.error("the broker refused a dead letter of {} bytes for {} as too large ({}): dead letters are cut to {} bytes from now on; "
                        + "the stream thread is replaced and its input processed again", size, record.topic(), exception.getMessage(),
                        deadLetters.maxValueBytes());
            } else {
                deadLetters.sinkLimit().refused(size, now);
                log.error("the broker refused a row change of {} bytes for {} as too large ({}): rows larger than {} bytes are dead-lettered "
                        + "(row-too-large) from now on; the stream thread is replaced and its input processed again", size, record.topic(),
                        exception.getMessage(), deadLetters.sinkLimit().maxRecordBytes());
            }
            if (deadLetters.metrics() != null) deadLetters.metrics().deadLettered("production", InputRejectedException.ROW_TOO_LARGE);
            return Response.fail();
        }
        log.error("the broker refused a record for {}: {}", record.topic(), exception.toString());
        return Response.fail();
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record, Exception exception,
            SerializationExceptionOrigin origin) {
        if (RegistryFailures.isRegistryFailure(exception)) {
            log.error("schema registry failure while writing to {}: the stream thread stops ({})", record.topic(), exception.toString());
            return Response.fail();
        }
        if (deadLetters.metrics() != null) deadLetters.metrics().deadLettered("production", "unserializable");
        deadLetters.log(log, "production", context, "unserializable", exception);
        return Response.resume(deadLetters.of(context, exception, "unserializable"));
    }

    /** Key, value and headers: what the producer measures against its limit, less the record's own framing. */
    static int sizeOf(ProducerRecord<byte[], byte[]> r) {
        int n = (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
        for (Header h : r.headers()) {
            n += h.key().length() + (h.value() == null ? 0 : h.value().length);
        }
        return n;
    }
}
