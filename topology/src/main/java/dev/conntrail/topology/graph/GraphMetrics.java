package dev.conntrail.topology.graph;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The service graph's metrics: {@code conntrail_topology_graph_ends_skipped_total{why}} (rows that meet nothing),
 * {@code conntrail_topology_graph_ambiguous_total} (meetings with more than one end of a role),
 * {@code conntrail_topology_graph_edges_total{change=written|tombstoned}}.
 */
public final class GraphMetrics {
    final Counter noRole;
    final Counter ambiguous;
    final Counter edgesWritten;
    final Counter edgesTombstoned;

    public GraphMetrics(MeterRegistry registry) {
        noRole = Counter.builder("conntrail.topology.graph.ends.skipped").tag("why", "no-role")
                .description("rows that meet nothing: no direction or no full tuple").register(registry);
        ambiguous = Counter.builder("conntrail.topology.graph.ambiguous")
                .description("meetings found with more than one end of a role (overlapping address spaces or a reused tuple)").register(registry);
        edgesWritten = Counter.builder("conntrail.topology.graph.edges").tag("change", "written")
                .description("edge changes written").register(registry);
        edgesTombstoned = Counter.builder("conntrail.topology.graph.edges").tag("change", "tombstoned")
                .description("edges tombstoned").register(registry);
    }
}
