package dev.conntrail.topology.fleet;

import java.time.Duration;
import java.util.List;

/**
 * What a simulated fleet does, and its bounds. Times are counted from the moment the last host has
 * published its start-up snapshot (the start-ups are spread so that the fleet's records go out at
 * {@code maxRate}).
 *
 * @param hosts                  simulated hosts, each an agent of its own (epoch, seq, heartbeats)
 * @param snapshotPerHost        connections open on each host when its agent starts (SNAPSHOT records)
 * @param churnPerHostPerSecond  connections each live host opens per second (CONNECT or ACCEPT, then CLOSE)
 * @param meanLifetime           how long a churned connection lives on average (uniform, 0.2 to 1.8 times this)
 * @param natShare               share of outgoing connections that go through a DNAT (an entry on conntrack-nat)
 * @param heartbeat              a HEARTBEAT from every live host this often (must be less than the window)
 * @param lostHosts              hosts that stop at {@code vanishAfter} and never come back
 * @param returningHosts         hosts that stop at {@code vanishAfter} and start again (new epoch, snapshot) at {@code returnAfter}
 * @param vanishAfter            when the vanishing hosts stop
 * @param returnAfter            when the returning hosts start again
 * @param churnFor               how long connections are opened and closed; the hosts then only heartbeat
 * @param maxRate                records per second (tcp-events and conntrack-nat together) the fleet never exceeds
 * @param maxRecords             the simulation stops opening connections after this many records
 * @param maxTime                and after this long, whatever the plan says
 * @param seed                   the random choices (lifetimes, directions, NAT)
 * @param resync                 live hosts that take a fresh snapshot in the churn, with CLOSEs lost before it
 * @param churnSteps             empty: {@code churnPerHostPerSecond} for the whole churn; otherwise the churn per host
 *                               of each of as many equal steps of {@code churnFor}, in order (a ramp)
 */
public record FleetPlan(int hosts, int snapshotPerHost, double churnPerHostPerSecond, Duration meanLifetime, double natShare,
        Duration heartbeat, int lostHosts, int returningHosts, Duration vanishAfter, Duration returnAfter, Duration churnFor,
        int maxRate, long maxRecords, Duration maxTime, long seed, Resync resync, List<Double> churnSteps) {

    /**
     * Live hosts whose agent takes a fresh snapshot in the churn (a resync, design rule 6), as after a loss: the
     * CLOSEs of a share of their open connections never went out (the sockets closed, the ring buffer dropped the
     * events), so the snapshot lacks them and the topology must close their rows NOT_IN_SNAPSHOT (design rule 5).
     *
     * @param hosts        how many (the first ones of the fleet)
     * @param after        when, from the churn's start
     * @param missingShare share of each one's open connections that closed unseen
     */
    public record Resync(int hosts, Duration after, double missingShare) {
        public static final Resync NONE = new Resync(0, Duration.ZERO, 0);

        public Resync {
            if (hosts < 0 || missingShare < 0 || missingShare > 1 || after.isNegative()) {
                throw new IllegalArgumentException("resyncing hosts must not be negative, their missing share within 0..1, the time not negative");
            }
        }
    }

    public FleetPlan {
        if (hosts < 1) throw new IllegalArgumentException("hosts must be at least 1: " + hosts);
        if (lostHosts + returningHosts + resync.hosts() > hosts) {
            throw new IllegalArgumentException("lost (" + lostHosts + "), returning (" + returningHosts + ") and resyncing (" + resync.hosts()
                    + ") hosts exceed the fleet (" + hosts + ")");
        }
        if (snapshotPerHost < 0 || churnPerHostPerSecond < 0 || natShare < 0 || natShare > 1) {
            throw new IllegalArgumentException("snapshot size and churn must not be negative, the NAT share within 0..1");
        }
        if (churnSteps.stream().anyMatch(c -> c < 0)) throw new IllegalArgumentException("churn steps must not be negative: " + churnSteps);
        churnSteps = List.copyOf(churnSteps);
        if (returningHosts > 0 && !positive(returnAfter.minus(vanishAfter))) {
            throw new IllegalArgumentException("returning hosts must return after they vanish: vanish after " + vanishAfter + ", return after " + returnAfter);
        }
        if (maxRate < 1 || maxRecords < 1 || !positive(maxTime) || !positive(heartbeat)) {
            throw new IllegalArgumentException("rate, record count, time and heartbeat interval must be positive");
        }
    }

    private static boolean positive(Duration d) {
        return !d.isNegative() && !d.isZero();
    }

    /** Records per second the plan asks for once every host is up (at the first step of a ramp). */
    public double plannedRate() {
        return plannedRate(churnSteps.isEmpty() ? churnPerHostPerSecond : churnSteps.get(0));
    }

    /** Records per second at {@code churnPerHost}: churn (2 events, NAT entry and its tombstone) and heartbeats. */
    public double plannedRate(double churnPerHost) {
        // FleetHost: 70 % of connections are outgoing, 4 in 5 of those in the root namespace, where NAT is
        double perConnection = 2 + 2 * natShare * 0.7 * 0.8;
        return hosts * churnPerHost * perConnection + hosts / (heartbeat.toMillis() / 1000.0);
    }

    /** How long each step of the ramp lasts (the whole churn when there is none). */
    Duration stepFor() {
        return churnSteps.isEmpty() ? churnFor : churnFor.dividedBy(churnSteps.size());
    }

    /** The ids of the hosts that vanish: the last ones of the fleet (returning ones first among them). */
    boolean returns(int host) {
        return host >= hosts - lostHosts - returningHosts && host < hosts - lostHosts;
    }

    boolean vanishes(int host) {
        return host >= hosts - lostHosts - returningHosts;
    }

    /** The resyncing hosts: the first ones of the fleet. */
    boolean resyncs(int host) {
        return host < resync.hosts();
    }
}
