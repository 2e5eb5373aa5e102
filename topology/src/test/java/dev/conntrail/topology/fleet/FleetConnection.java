package dev.conntrail.topology.fleet;

import dev.conntrail.avro.Direction;
import dev.conntrail.avro.NatEntry;

/** One simulated socket: its id (the key of its row), tuple, owner, and the NAT entry it goes through, if any. */
final class FleetConnection {
    final String id;
    final long netns;
    final String laddr;
    final int lport;
    final String raddr;
    final int rport;
    final long cookie;
    final Direction direction;
    final Integer pid;
    final String comm;
    final long uid;
    final long cgroupId;
    /** null when no DNAT translated it. */
    final NatEntry nat;
    /** Nanos (System.nanoTime) at which it closes, unless {@link #staysOpen}. */
    final long closesAt;
    /** The ones open from the start stay open. */
    final boolean staysOpen;

    FleetConnection(String id, long netns, String laddr, int lport, String raddr, int rport, long cookie, Direction direction, Integer pid,
            String comm, long uid, long cgroupId, NatEntry nat, long closesAt, boolean staysOpen) {
        this.id = id;
        this.netns = netns;
        this.laddr = laddr;
        this.lport = lport;
        this.raddr = raddr;
        this.rport = rport;
        this.cookie = cookie;
        this.direction = direction;
        this.pid = pid;
        this.comm = comm;
        this.uid = uid;
        this.cgroupId = cgroupId;
        this.nat = nat;
        this.closesAt = closesAt;
        this.staysOpen = staysOpen;
    }

    /** Closed by {@code now} (System.nanoTime). */
    boolean closedBy(long now) {
        return !staysOpen && closesAt - now <= 0;
    }
}
