package dev.conntrail.topology;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Source;
import dev.conntrail.topology.errors.InputRejectedException;
import dev.conntrail.topology.errors.SinkLimit;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.rows.RowTable;
import dev.conntrail.topology.state.RowState;
import dev.conntrail.topology.state.RowStateHeader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every row change of a task goes through here: into the {@link RowTable} and out to
 * {@code connections} with its bookkeeping in a header, so {@code connections} alone rebuilds the
 * row; closes also schedule the row's tombstone ({@link Expiry}) and move the {@link RowCounts}.
 */
final class RowChanges {
    private static final Logger log = LoggerFactory.getLogger(RowChanges.class);

    private final ProcessorContext<String, Connection> context;
    private final RowTable rows;
    private final RowCounts counts;
    private final Expiry expiry;
    private final TopologySettings settings;
    private final TopologyMetrics metrics;
    private final Serializer<Connection> connectionWriter;
    private final SinkLimit sinkLimit;
    private final long window;
    /** True while a punctuation runs: a row change then has no input record to dead-letter. */
    private boolean inPunctuation;
    /** Wall-clock ms of the last warning about a host clock ahead of ours (at most one a window per task). */
    private long lastSkewWarning = Long.MIN_VALUE;

    /**
     * @param connectionWriter the sink's value serializer, to measure a row change when the sink's
     *                         record limit is below what a row may take ({@link SinkLimit#mustMeasure}); may be null
     */
    RowChanges(ProcessorContext<String, Connection> context, RowTable rows, RowCounts counts, Expiry expiry, TopologySettings settings,
            TopologyMetrics metrics, Serializer<Connection> connectionWriter, SinkLimit sinkLimit) {
        this.context = context;
        this.rows = rows;
        this.counts = counts;
        this.expiry = expiry;
        this.settings = settings;
        this.metrics = metrics;
        this.connectionWriter = connectionWriter;
        this.sinkLimit = sinkLimit;
        this.window = settings.window().toMillis();
    }

    /** Marks the changes made by a punctuation, which have no input record to dead-letter. */
    void inPunctuation(boolean in) {
        inPunctuation = in;
    }

    /** Closes an open row; false when the closed row could not be stored (too large for the sink, in a punctuation: dropped). */
    boolean close(String rk, RowState s, CloseReason reason, Instant closedAt, long ts, long now) {
        if (!closeAndStore(rk, s, reason, closedAt, ts, now)) return false;
        counts.closed();
        return true;
    }

    /** Stores a row that is closed from its first record on (a CLOSE of a socket the table did not know). */
    boolean storeArrivedClosed(String rk, RowState s, Instant closedAt, long ts, long now) {
        if (!closeAndStore(rk, s, CloseReason.CLOSED, closedAt, ts, now)) return false;
        counts.arrivedClosed();
        return true;
    }

    private boolean closeAndStore(String rk, RowState s, CloseReason reason, Instant closedAt, long ts, long now) {
        s.row.setState(ConnectionState.CLOSED);
        s.row.setCloseReason(reason);
        s.row.setClosedAt(closedAt);
        s.row.setUpdatedAt(Instant.ofEpochMilli(now));
        s.closeAppliedAt = now;
        noteClockAhead(s.row.getHost(), closedAt.toEpochMilli(), now);
        s.tombstoneAt = settings.tombstoneAt(closedAt.toEpochMilli(), now);
        if (!store(rk, s, ts)) return false;
        expiry.schedule(s.tombstoneAt, rk);
        metrics.closed(reason);
        return true;
    }

    /** A refresh: publish only if a field other than updatedAt changed; a pure duplicate only updates the bookkeeping. */
    void changeOrRemember(String rk, RowState s, Connection before, Connection after, Source source, long ts, long now) {
        if (after.equals(before)) {
            rows.remember(rk, s);
            return;
        }
        after.setSource(source);
        after.setUpdatedAt(Instant.ofEpochMilli(now));
        s.row = after;
        store(rk, s, ts);
    }

    /**
     * A row change: the row, and its bookkeeping in a header. Nothing changes when the row change
     * does not fit the sink ({@link SinkLimit}, measured only when the limit is below what a row may
     * take): for an input record this throws (the input is dead-lettered, {@code row-too-large}); in a
     * punctuation the row is dropped (a tombstone, counted) and this returns false.
     */
    boolean store(String rk, RowState s, long ts) {
        Headers headers = new RecordHeaders().add(RowStateHeader.NAME, RowStateHeader.encode(s));
        String id = rows.idOf(rk);
        if (sinkLimit.mustMeasure() && connectionWriter != null) {
            int size = recordSize(id, s.row, headers);
            if (size > sinkLimit.maxRecordBytes()) {
                String why = "the row change of " + InputDoor.shortened(id) + " is " + size + " bytes, more than the " + sinkLimit.maxRecordBytes()
                        + " the sink accepts";
                if (!inPunctuation) {
                    throw new InputRejectedException(InputRejectedException.ROW_TOO_LARGE, why);
                }
                dropTooLarge(rk, id, why);
                return false;
            }
        }
        rows.put(rk, s);
        context.forward(new Record<>(id, s.row, ts, headers));
        return true;
    }

    /**
     * Design rule 4 (windows): a close time further ahead of the topology's clock than the tolerance is a host clock
     * ahead of ours; the window counts from the tolerance (the row keeps the host's time). Counted, and said at
     * most once a window.
     */
    private void noteClockAhead(String host, long eventMs, long now) {
        if (settings.windowTime(eventMs, now) == eventMs) return;
        metrics.clockAhead();
        if (lastSkewWarning == Long.MIN_VALUE || now - lastSkewWarning >= window) {
            lastSkewWarning = now;
            log.warn("host {}: a close time {} ms ahead of the topology's clock (more than the {} ms tolerated): its tombstone counts "
                    + "from the topology's clock; check the host's clock (NTP)", host, eventMs - now, settings.clockTolerance().toMillis());
        }
    }

    /** Key, value (as the sink writes it) and headers of a row change. */
    private int recordSize(String id, Connection row, Headers headers) {
        byte[] value = connectionWriter.serialize(settings.topics().connections(), row);
        int n = id.getBytes(StandardCharsets.UTF_8).length + (value == null ? 0 : value.length);
        for (Header h : headers) n += h.key().length() + (h.value() == null ? 0 : h.value().length);
        return n;
    }

    /** A change no input record made (a punctuation's close) does not fit the sink: the row goes (tombstone), counted. */
    private void dropTooLarge(String rk, String id, String why) {
        RowState was = rows.get(rk);
        if (was != null) {
            rows.delete(rk);
            counts.dropped(was.isOpen());
            context.forward(new Record<>(id, null, context.currentSystemTimeMs()));
        }
        metrics.deadLettered("processing", InputRejectedException.ROW_TOO_LARGE);
        log.error("{}: the row is deleted (a tombstone written) instead", why);
    }
}
