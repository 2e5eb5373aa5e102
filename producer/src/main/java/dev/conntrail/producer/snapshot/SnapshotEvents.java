package dev.conntrail.producer.snapshot;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns snapshot entries into {@link TcpEvent}s (type SNAPSHOT, or CONNECT/ACCEPT/CLOSE for the
 * polling fallback). {@code seq} is left 0: the publisher assigns it at publish time (docs/design.md, "Records").
 */
public final class SnapshotEvents {
    private final String host;
    private final long agentEpoch;

    public SnapshotEvents(String host, long agentEpoch) {
        this.host = host;
        this.agentEpoch = agentEpoch;
    }

    /** One SNAPSHOT record per connected socket; {@code source} SNAPSHOT, or PROC_POLL for the fallback. */
    public List<TcpEvent> snapshotRecords(Snapshot snapshot, String snapshotId, Source source) {
        List<TcpEvent> out = new ArrayList<>(snapshot.sockets().size());
        for (SocketEntry e : snapshot.sockets()) {
            out.add(event(e, EventType.SNAPSHOT, snapshot.takenAtMicros(), source, snapshotId, snapshot.withCookies()));
        }
        return out;
    }

    /**
     * One event for one socket. CLOSE carries no pid/tid/comm (design rule 3 (events)), but keeps the socket's uid;
     * every type carries the owner's cgroup id and container.
     */
    public TcpEvent event(SocketEntry e, EventType type, long timestampMicros, Source source, String snapshotId,
                          boolean withCookies) {
        boolean close = type == EventType.CLOSE;
        return TcpEvent.newBuilder()
                .setHost(host)
                .setAgentEpoch(agentEpoch)
                .setSeq(0)
                .setType(type)
                .setTimestamp(Instant.ofEpochSecond(timestampMicros / 1_000_000L, (timestampMicros % 1_000_000L) * 1000))
                .setPid(close ? null : e.pid())
                .setTid(null)
                .setComm(close ? null : e.comm())
                .setUid(e.uid())
                .setCgroupId(e.cgroupId())
                .setNetns(e.netns())
                .setFamily(e.ipv6() ? Family.IPV6 : Family.IPV4)
                .setLaddr(e.laddr())
                .setLport(e.lport())
                .setRaddr(e.raddr())
                .setRport(e.rport())
                .setCookie(withCookies ? e.cookie() : null)
                .setDirection(e.direction())
                .setTcpState(type == EventType.SNAPSHOT ? TcpStates.toAvro(e.state()) : null)
                .setSource(source)
                .setSnapshotId(snapshotId)
                .setContainer(e.container())

                .setCounters(close ? null : e.counters()) // a polled CLOSE's would be the last poll's, not final
                .build();
    }
}
