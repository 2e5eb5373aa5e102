package dev.conntrail.topology.graph;

import dev.conntrail.avro.ConnectionEdge;

/**
 * Keys of {@code service-graph}: {@code clientHost|serverHost|clientComm|serverComm}. A comm is anyone's choice, so
 * in it {@code %} is written {@code %25} and {@code |} {@code %7C}; an unknown comm is empty. The key starts with the
 * client's host, which places it, as the edges it counts.
 */
final class WorkloadKeys {
    private WorkloadKeys() {
    }

    static String of(ConnectionEdge edge) {
        return edge.getClient().getHost() + '|' + edge.getServer().getHost() + '|' + escape(edge.getClient().getComm()) + '|'
                + escape(edge.getServer().getComm());
    }

    static String escape(String comm) {
        if (comm == null) return "";
        return comm.replace("%", "%25").replace("|", "%7C");
    }
}
