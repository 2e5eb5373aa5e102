package dev.conntrail.topology.fleet;

import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.avro.TcpState;
import dev.conntrail.schemas.Keys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * One simulated host and its agent: the records the producer's agent writes for it, field for field
 * (producer/.../agent/ProducerAgent, snapshot/SnapshotEvents, bpf/EventDecoder, conntrack/ConntrackEntry):
 * epoch per agent start, seq per epoch in publish order, SNAPSHOT records then SNAPSHOT_END, HEARTBEATs,
 * CONNECT/ACCEPT with the owner, CLOSE without it, NAT entries of its root namespace's conntrack table.
 * Seq is assigned when a record is built, and records are sent in the order they are built (one thread).
 */
final class FleetHost {
    /** The initial network namespace's fixed inode (what the topology assumes before a host says otherwise). */
    static final long ROOT_NETNS = 4026531833L;
    private static final String[] COMMS = {"curl", "java", "envoy", "postgres", "python3"};
    private static final int LISTENER_PID = 800;

    final int index;
    final String name;
    private final String ip;
    private final Random random;
    private long epoch;
    private long seq;
    private int snapshots;
    private long nextCookie;
    private int nextPort = 32768;
    private long nextRemote;
    /** Connections open on this host now (whether or not its agent runs). */
    final Map<String, FleetConnection> open = new LinkedHashMap<>();
    /** NAT keys this host's agents published and did not tombstone, with their entries. */
    final Map<String, NatEntry> natPublished = new HashMap<>();
    boolean vanished;

    FleetHost(int index, long epoch, long seed) {
        this.index = index;
        this.name = String.format("fleet-host-%05d", index);
        int n = index + 1;
        this.ip = "10." + ((n >> 16) & 255) + "." + ((n >> 8) & 255) + "." + (n & 255);
        this.random = new Random(seed * 31 + index);
        this.epoch = epoch;
        this.nextCookie = ((long) n << 32) + 4096;
    }

    /** A new agent start: a new epoch, seq from 1 again (the sockets and their cookies are the host's, they stay). */
    void restartAgent(long newEpoch) {
        epoch = newEpoch;
        seq = 0;
        vanished = false;
    }

    long epoch() {
        return epoch;
    }

    /** A new socket on this host: outgoing (70 %, some through a DNAT) or accepted on the service port; a null close time: it stays open. */
    FleetConnection newConnection(double natShare, Long closesAt) {
        long closeTime = closesAt == null ? 0 : closesAt;
        boolean staysOpen = closesAt == null;
        long cookie = nextCookie++;
        long r = nextRemote++;
        int lport = nextPort;
        nextPort = nextPort >= 60999 ? 32768 : nextPort + 1;
        boolean outgoing = random.nextDouble() < 0.7;
        boolean container = random.nextInt(5) == 0;
        boolean nat = outgoing && !container && random.nextDouble() < natShare;
        long netns = container ? ROOT_NETNS + 300 + index % 4 : ROOT_NETNS;
        String laddr = container ? "10.244." + (index & 255) + "." + (2 + index % 4) : ip;
        if (outgoing) {
            String raddr = nat ? "10.96.0." + (1 + r % 200) : "172.16." + (r % 250) + "." + (1 + (r / 250) % 250);
            int rport = nat ? 80 : 443;
            int pid = 1000 + (int) (r % 50);
            String id = Keys.connectionId(name, netns, laddr, lport, raddr, rport, cookie);
            NatEntry entry = nat ? natEntry(laddr, lport, raddr, rport, "172.17." + (r % 250) + "." + (1 + (r / 250) % 250), 8080) : null;
            return new FleetConnection(id, netns, laddr, lport, raddr, rport, cookie, Direction.OUTGOING, pid, COMMS[pid % COMMS.length],
                    1000, 7000 + pid % 7, entry, closeTime, staysOpen);
        }
        String raddr = "192.168." + (r % 250) + "." + (1 + (r / 250) % 250);
        String id = Keys.connectionId(name, netns, laddr, 8080, raddr, lport, cookie);
        return new FleetConnection(id, netns, laddr, 8080, raddr, lport, cookie, Direction.INCOMING, LISTENER_PID, "nginx", 33, 6000, null,
                closeTime, staysOpen);
    }

    /** conntrack's NAT-translated entry of a connection to a service address: replies come from the backend. */
    private NatEntry natEntry(String laddr, int lport, String vip, int vport, String backend, int bport) {
        return NatEntry.newBuilder().setHost(name).setNetns(ROOT_NETNS).setZone(0).setTimestamp(Instant.EPOCH).setFamily(Family.IPV4)
                .setOrigSrc(laddr).setOrigSport(lport).setOrigDst(vip).setOrigDport(vport)
                .setReplySrc(backend).setReplySport(bport).setReplyDst(laddr).setReplyDport(lport)
                .setConntrackId(nextRemote * 7 + index).build();
    }

    /** SNAPSHOT records of every open connection, then SNAPSHOT_END (design rule 1): one snapshot, one id, one taken-at time. */
    List<TcpEvent> snapshot() {
        String id = epoch + "-" + (++snapshots) + "-" + UUID.randomUUID().toString().substring(0, 8);
        Instant takenAt = nowMicros();
        List<TcpEvent> out = new ArrayList<>(open.size() + 1);
        for (FleetConnection c : open.values()) {
            out.add(TcpEvent.newBuilder().setHost(name).setAgentEpoch(epoch).setSeq(++seq).setType(EventType.SNAPSHOT).setTimestamp(takenAt)
                    .setPid(c.pid).setTid(null).setComm(c.comm).setUid(c.uid).setCgroupId(null).setNetns(c.netns).setFamily(Family.IPV4)
                    .setLaddr(c.laddr).setLport(c.lport).setRaddr(c.raddr).setRport(c.rport).setCookie(c.cookie).setDirection(c.direction)
                    .setTcpState(TcpState.ESTABLISHED).setSource(Source.SNAPSHOT).setSnapshotId(id).build());
        }
        out.add(marker(EventType.SNAPSHOT_END, Source.SNAPSHOT, id));
        return out;
    }

    TcpEvent heartbeat() {
        return marker(EventType.HEARTBEAT, Source.EBPF, null);
    }

    private TcpEvent marker(EventType type, Source source, String snapshotId) {
        return TcpEvent.newBuilder().setHost(name).setAgentEpoch(epoch).setSeq(++seq).setType(type).setTimestamp(nowMicros())
                .setSource(source).setSnapshotId(snapshotId).build();
    }

    /** CONNECT or ACCEPT as the tracer decodes it: the owner (for ACCEPT the listener's), no direction, no TCP state. */
    TcpEvent opened(FleetConnection c) {
        return tracerEvent(c.direction == Direction.OUTGOING ? EventType.CONNECT : EventType.ACCEPT, c, true);
    }

    /** CLOSE: no owner (design rule 3), the socket's uid kept. */
    TcpEvent closed(FleetConnection c) {
        return tracerEvent(EventType.CLOSE, c, false);
    }

    private TcpEvent tracerEvent(EventType type, FleetConnection c, boolean owner) {
        TcpEvent e = new TcpEvent();
        e.setHost(name);
        e.setAgentEpoch(epoch);
        e.setSeq(++seq);
        e.setType(type);
        e.setTimestamp(nowMicros());
        if (owner) {
            e.setPid(c.pid);
            e.setTid(c.pid);
            e.setComm(c.comm);
            e.setCgroupId(c.cgroupId);
        }
        e.setUid(c.uid);
        e.setNetns(c.netns);
        e.setFamily(Family.IPV4);
        e.setLaddr(c.laddr);
        e.setLport(c.lport);
        e.setRaddr(c.raddr);
        e.setRport(c.rport);
        e.setCookie(c.cookie);
        e.setSource(Source.EBPF);
        return e;
    }

    /** The connection's NAT entry as the agent publishes it: stamped with the time it saw it. */
    NatEntry natSeen(FleetConnection c) {
        NatEntry n = NatEntry.newBuilder(c.nat).setTimestamp(Instant.ofEpochMilli(System.currentTimeMillis())).build();
        natPublished.put(Keys.of(n), n);
        return n;
    }

    static String natKey(FleetConnection c) {
        return Keys.of(c.nat);
    }

    private static Instant nowMicros() {
        Instant now = Instant.now();
        return now.minusNanos(now.getNano() % 1000);
    }
}
