package dev.conntrail.topology.graph;

import dev.conntrail.avro.ConnectionEdge;
import dev.conntrail.avro.EdgeState;
import dev.conntrail.avro.WorkloadEdge;
import java.time.Instant;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Counts edges per workload pair from the changes of {@code connection-edges}: {@code open} edges now OPEN,
 * {@code total} edges ever paired (each once). The store {@code edge-workloads} remembers, per edge, the workload
 * pair it was counted under and whether it counted as open ({@code 1|key} or {@code 0|key}), so a change or a
 * tombstone undoes exactly what the edge added.
 */
final class WorkloadCounts implements Processor<String, ConnectionEdge, String, WorkloadEdge> {
    private ProcessorContext<String, WorkloadEdge> context;
    private KeyValueStore<String, String> edgeWorkloads;
    private KeyValueStore<String, WorkloadEdge> workloads;

    @Override
    public void init(ProcessorContext<String, WorkloadEdge> context) {
        this.context = context;
        this.edgeWorkloads = context.getStateStore(ServiceGraphTopology.EDGE_WORKLOADS_STORE);
        this.workloads = context.getStateStore(ServiceGraphTopology.WORKLOADS_STORE);
    }

    @Override
    public void process(Record<String, ConnectionEdge> record) {
        String edgeKey = record.key();
        if (edgeKey == null) return;
        String counted = edgeWorkloads.get(edgeKey);
        boolean wasOpen = counted != null && counted.charAt(0) == '1';
        String before = counted == null ? null : counted.substring(2);
        ConnectionEdge edge = record.value();
        Instant at = edge != null ? edge.getUpdatedAt() : Instant.ofEpochMilli(record.timestamp());
        if (edge == null) {
            if (before == null) return;
            edgeWorkloads.delete(edgeKey);
            if (wasOpen) add(record, before, null, -1, 0, at);
            return;
        }
        String now = WorkloadKeys.of(edge);
        boolean open = edge.getState() == EdgeState.OPEN;
        if (now.equals(before)) {
            if (open != wasOpen) add(record, now, edge, open ? 1 : -1, 0, at);
        } else {
            if (before != null && wasOpen) add(record, before, null, -1, 0, at);
            add(record, now, edge, open ? 1 : 0, 1, at);
        }
        if (!now.equals(before) || open != wasOpen) edgeWorkloads.put(edgeKey, (open ? "1|" : "0|") + now);
    }

    private void add(Record<String, ConnectionEdge> cause, String key, ConnectionEdge edge, int open, int total, Instant at) {
        WorkloadEdge w = workloads.get(key);
        if (w == null) {
            if (edge == null) return; // nothing was counted under it
            w = WorkloadEdge.newBuilder()
                    .setClientHost(edge.getClient().getHost()).setClientComm(edge.getClient().getComm())
                    .setServerHost(edge.getServer().getHost()).setServerComm(edge.getServer().getComm())
                    .setOpen(0).setTotal(0).setUpdatedAt(at).build();
        }
        w.setOpen(Math.max(0, w.getOpen() + open));
        w.setTotal(w.getTotal() + total);
        w.setUpdatedAt(at);
        workloads.put(key, w);
        context.forward(cause.withKey(key).withValue(w));
    }
}
