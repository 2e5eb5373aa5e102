package dev.conntrail.topology.restore;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Reads back what a task published: every committed record of one partition of
 * {@code connections}, oldest first, so the task rebuilds its rows from the topic it writes (the
 * topic is the rows' changelog). {@link KafkaRowsRestorer} in production; TopologyTestDriver tests,
 * which have no broker, replay the previous driver's output instead.
 */
public interface RowsRestorer extends AutoCloseable {

    /** One record as read: its offset, the key, the value bytes (null: a tombstone), its headers. */
    @FunctionalInterface
    interface RecordHandler {
        void accept(long offset, String key, byte[] value, Headers headers);
    }

    /**
     * @param context    the task being initialised (a test stand-in may also refill the task's other
     *                   stores there, as Streams does from their changelogs)
     * @param fromOffset the first offset to hand over: 0 for the whole partition, else where an earlier
     *                   replay of this partition ended
     * @return the number of records handed to {@code each}
     * @throws OffsetGoneException when {@code fromOffset} is no longer in the partition (its start moved past it)
     */
    long replay(ProcessorContext<?, ?> context, String topic, int partition, long fromOffset, RecordHandler each);

    /** The partition no longer holds the offset a replay was to continue from: replay it whole instead. */
    final class OffsetGoneException extends RuntimeException {
        public OffsetGoneException(String message) {
            super(message);
        }
    }

    @Override
    default void close() {
    }
}
