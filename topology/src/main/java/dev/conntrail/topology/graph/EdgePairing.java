package dev.conntrail.topology.graph;

import dev.conntrail.avro.ConnectionEdge;
import dev.conntrail.avro.EdgeEnd;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps the ends that meet at each meeting key (store {@code edge-ends}) and, whenever one changes, pairs that
 * key's ends again ({@link Pairing}): writes the edge when it changed, tombstones the edges that no longer pair.
 * The edges it wrote are kept under {@code meeting key|edge key} (store {@code edges}) to tell what changed.
 */
final class EdgePairing implements Processor<String, EdgeEnd, String, ConnectionEdge> {
    private static final StringSerializer PREFIX = new StringSerializer();
    private final GraphMetrics metrics;
    private ProcessorContext<String, ConnectionEdge> context;
    private KeyValueStore<String, EdgeEnd> ends;
    private KeyValueStore<String, ConnectionEdge> edges;

    EdgePairing(GraphMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, ConnectionEdge> context) {
        this.context = context;
        this.ends = context.getStateStore(ServiceGraphTopology.EDGE_ENDS_STORE);
        this.edges = context.getStateStore(ServiceGraphTopology.EDGES_STORE);
    }

    @Override
    public void process(Record<String, EdgeEnd> record) {
        String endKey = record.key();
        if (endKey == null) return;
        String meeting = EndKeys.meetingPrefix(endKey);
        if (record.value() == null) {
            ends.delete(endKey);
        } else {
            ends.put(endKey, record.value());
        }
        Map<String, ConnectionEdge> wanted = wanted(meeting);
        for (KeyValue<String, ConnectionEdge> had : had(meeting)) {
            String edgeKey = had.key.substring(meeting.length());
            ConnectionEdge want = wanted.remove(edgeKey);
            if (want == null) {
                edges.delete(had.key);
                context.forward(record.withKey(edgeKey).withValue(null));
                metrics.edgesTombstoned.increment();
            } else if (!want.equals(had.value)) {
                write(record, meeting, edgeKey, want);
            }
        }
        wanted.forEach((edgeKey, edge) -> write(record, meeting, edgeKey, edge));
    }

    private void write(Record<String, EdgeEnd> cause, String meeting, String edgeKey, ConnectionEdge edge) {
        edges.put(meeting + edgeKey, edge);
        context.forward(cause.withKey(edgeKey).withValue(edge));
        metrics.edgesWritten.increment();
    }

    private Map<String, ConnectionEdge> wanted(String meeting) {
        List<EdgeEnd> clients = new ArrayList<>(1);
        List<EdgeEnd> servers = new ArrayList<>(1);
        try (KeyValueIterator<String, EdgeEnd> it = ends.prefixScan(meeting, PREFIX)) {
            while (it.hasNext()) {
                KeyValue<String, EdgeEnd> end = it.next();
                (EndKeys.role(end.key) == Role.CLIENT ? clients : servers).add(end.value);
            }
        }
        Pairing.Result result = Pairing.of(clients, servers);
        Map<String, ConnectionEdge> wanted = new HashMap<>(2);
        if (result.outcome() == Pairing.Outcome.PAIRED) {
            wanted.put(Edges.key(result.client(), result.server()), Edges.of(result.client(), result.server()));
        } else if (result.outcome() == Pairing.Outcome.AMBIGUOUS) {
            metrics.ambiguous.increment();
        }
        return wanted;
    }

    private List<KeyValue<String, ConnectionEdge>> had(String meeting) {
        List<KeyValue<String, ConnectionEdge>> had = new ArrayList<>(1);
        try (KeyValueIterator<String, ConnectionEdge> it = edges.prefixScan(meeting, PREFIX)) {
            it.forEachRemaining(had::add);
        }
        return had;
    }
}
