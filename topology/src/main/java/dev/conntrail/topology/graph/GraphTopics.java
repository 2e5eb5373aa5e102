package dev.conntrail.topology.graph;

/** The service graph's three topics (docs/design.md, "The service graph"); every name configurable. */
public record GraphTopics(String ends, String edges, String workloads) {
    public static final GraphTopics DEFAULTS = new GraphTopics("connection-ends", "connection-edges", "service-graph");
}
