package dev.conntrail.topology.graph;

import dev.conntrail.avro.ConnectionEdge;
import dev.conntrail.avro.EdgeEnd;
import dev.conntrail.avro.EdgeState;
import java.time.Instant;

/** A paired client and server end as one edge (docs/design.md, "The service graph", "The edge"). */
final class Edges {
    private Edges() {
    }

    /** {@code client connection id|server connection id}: starts with the client's host, which places it. */
    static String key(EdgeEnd client, EdgeEnd server) {
        return client.getId() + '|' + server.getId();
    }

    static ConnectionEdge of(EdgeEnd client, EdgeEnd server) {
        boolean closed = client.getState() == EdgeState.CLOSED || server.getState() == EdgeState.CLOSED;
        return ConnectionEdge.newBuilder()
                .setClient(client)
                .setServer(server)
                .setState(closed ? EdgeState.CLOSED : EdgeState.OPEN)
                .setOpenedAt(client.getOpenedAt() != null ? client.getOpenedAt() : server.getOpenedAt())
                .setClosedAt(closed ? earliest(client.getClosedAt(), server.getClosedAt()) : null)
                .setUpdatedAt(later(client.getUpdatedAt(), server.getUpdatedAt()))
                .build();
    }

    private static Instant earliest(Instant a, Instant b) {
        if (a == null) return b;
        if (b == null) return a;
        return a.isBefore(b) ? a : b;
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
