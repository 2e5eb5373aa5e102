package dev.conntrail.topology;

/** The four topics of docs/design.md, "Topics"; every name configurable. */
public record TopicNames(String events, String nat, String connections, String deadLetters) {
    public static final TopicNames DEFAULTS = new TopicNames("tcp-events", "conntrack-nat", "connections", "connections-dlq");
}
