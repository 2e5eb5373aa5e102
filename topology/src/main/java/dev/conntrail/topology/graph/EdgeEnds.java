package dev.conntrail.topology.graph;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.EdgeEnd;
import dev.conntrail.avro.EdgeState;
import dev.conntrail.avro.TcpCounters;

/** A row of {@code connections} reduced to the end an edge shows. */
final class EdgeEnds {
    private EdgeEnds() {
    }

    static EdgeEnd of(String connectionId, Connection row) {
        return EdgeEnd.newBuilder()
                .setId(connectionId)
                .setHost(row.getHost())
                .setNetns(row.getNetns())
                .setLaddr(row.getLaddr())
                .setLport(row.getLport())
                .setRaddr(row.getRaddr())
                .setRport(row.getRport())
                .setPid(row.getPid())
                .setComm(row.getComm())
                .setCgroupId(row.getCgroupId())
                .setState(row.getState() == ConnectionState.OPEN ? EdgeState.OPEN
                        : row.getState() == ConnectionState.CLOSED ? EdgeState.CLOSED : EdgeState.UNKNOWN)
                .setOpenedAt(row.getOpenedAt())
                .setClosedAt(row.getClosedAt())
                .setUpdatedAt(row.getUpdatedAt())
                .setContainer(row.getContainer())
                .setCounters(row.getCounters() == null ? null : TcpCounters.newBuilder(row.getCounters()).build())
                .build();
    }
}
