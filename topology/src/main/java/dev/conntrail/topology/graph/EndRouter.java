package dev.conntrail.topology.graph;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.EdgeEnd;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Reads row changes of {@code connections} (placed by host) and writes each row's end to {@code connection-ends}
 * under its end key (placed by meeting key): the repartition that brings both ends of a connection to one task.
 * An end whose key moved (a NAT entry matched after the row) or whose row is gone is tombstoned under its old key;
 * the store {@code end-keys} remembers each row's end key for that.
 */
final class EndRouter implements Processor<String, Connection, String, EdgeEnd> {
    private final GraphMetrics metrics;
    private ProcessorContext<String, EdgeEnd> context;
    private KeyValueStore<String, String> endKeys;

    EndRouter(GraphMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, EdgeEnd> context) {
        this.context = context;
        this.endKeys = context.getStateStore(ServiceGraphTopology.END_KEYS_STORE);
    }

    @Override
    public void process(Record<String, Connection> record) {
        String id = record.key();
        if (id == null) return;
        Connection row = record.value();
        // the row's bookkeeping header (conntrail-row-state) is the table's own: it does not travel on
        Record<String, Connection> bare = record.withHeaders(new RecordHeaders());
        String before = endKeys.get(id);
        String now = null;
        if (row != null) {
            String meeting = MeetingKeys.of(row);
            if (meeting == null) {
                metrics.noRole.increment();
            } else {
                now = EndKeys.of(meeting, Role.of(row.getDirection()), id);
            }
        }
        if (before != null && !before.equals(now)) {
            context.forward(bare.withKey(before).withValue(null));
        }
        if (now != null) {
            context.forward(bare.withKey(now).withValue(EdgeEnds.of(id, row)));
            if (!now.equals(before)) endKeys.put(id, now);
        } else if (before != null) {
            endKeys.delete(id);
        }
    }
}
