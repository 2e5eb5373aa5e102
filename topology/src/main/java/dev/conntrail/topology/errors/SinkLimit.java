package dev.conntrail.topology.errors;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import dev.conntrail.schemas.RecordBounds;

/**
 * The largest row change (key, value, headers) the sink can write to {@code connections}: the
 * smaller of the producer's {@code max.request.size} and the topic's {@code max.message.bytes}, less
 * room for the batch around it. Every row the input bounds allow is at most
 * {@link RecordBounds#ROW_RECORD_MAX_BYTES}; while the limit is at least that, nothing is checked.
 * When it is lower (a topic configured smaller, or the broker refused a row as too large, which
 * lowers it below that row's size), the processor measures each row change and dead-letters the
 * input whose row would not fit ({@code row-too-large}) instead of sending it.
 */
public final class SinkLimit {
    private final AtomicInteger maxRecordBytes;
    private final AtomicLong refusedAtMillis = new AtomicLong(-1);

    public SinkLimit(int maxRecordBytes) {
        this.maxRecordBytes = new AtomicInteger(maxRecordBytes);
    }

    public static SinkLimit unlimited() {
        return new SinkLimit(Integer.MAX_VALUE);
    }

    public int maxRecordBytes() {
        return maxRecordBytes.get();
    }

    /** True when a row change may be too large for the sink and must be measured. */
    public boolean mustMeasure() {
        return maxRecordBytes.get() < RecordBounds.ROW_RECORD_MAX_BYTES;
    }

    /** The broker refused a row change of {@code recordBytes} as too large (at {@code nowMillis}). */
    public void refused(int recordBytes, long nowMillis) {
        maxRecordBytes.updateAndGet(m -> Math.min(m, recordBytes - 1));
        refusedAtMillis.set(nowMillis);
    }

    /** The broker refused another record of the sink's producer (a dead letter) as too large. */
    public void refusedOther(long nowMillis) {
        refusedAtMillis.set(nowMillis);
    }

    /** When the broker last refused a record of the sink's producer as too large; -1 if never. */
    public long refusedAtMillis() {
        return refusedAtMillis.get();
    }
}
