package dev.conntrail.topology.graph;

import dev.conntrail.avro.EdgeEnd;
import dev.conntrail.avro.EdgeState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Which ends at one meeting key pair (docs/design.md, "The service graph", "Pairing"): one client end and one
 * server end pair if their lives meet; of several ends of a role, a CLOSED one that closed before an OPEN one of its role opened was
 * superseded by a reuse of the tuple; anything else with ends of both roles is ambiguous.
 */
final class Pairing {
    enum Outcome { PAIRED, ALONE, AMBIGUOUS }

    record Result(Outcome outcome, EdgeEnd client, EdgeEnd server) {
    }

    /** As design rule 4's: hosts' clocks kept by NTP agree within it. */
    static final Duration CLOCK_TOLERANCE = Duration.ofSeconds(1);

    private Pairing() {
    }

    static Result of(List<EdgeEnd> clients, List<EdgeEnd> servers) {
        List<EdgeEnd> c = current(clients);
        List<EdgeEnd> s = current(servers);
        if (c.isEmpty() || s.isEmpty()) return new Result(Outcome.ALONE, null, null);
        if (c.size() == 1 && s.size() == 1) {
            return livesMeet(c.get(0), s.get(0)) ? new Result(Outcome.PAIRED, c.get(0), s.get(0)) : new Result(Outcome.ALONE, null, null);
        }
        return new Result(Outcome.AMBIGUOUS, null, null);
    }

    /**
     * Whether two ends can be one connection: neither closed before the other opened, give or take the clock
     * tolerance (the two times come from two hosts' clocks). A socket that reuses the tuple of a closed one does not
     * pair with the closed one's peer.
     */
    static boolean livesMeet(EdgeEnd a, EdgeEnd b) {
        return !closedBeforeOpening(a, b) && !closedBeforeOpening(b, a);
    }

    private static boolean closedBeforeOpening(EdgeEnd closed, EdgeEnd opened) {
        return closed.getClosedAt() != null && opened.getOpenedAt() != null
                && closed.getClosedAt().plus(CLOCK_TOLERANCE).isBefore(opened.getOpenedAt());
    }

    /** The ends of one role without those a later socket on the same tuple superseded. */
    static List<EdgeEnd> current(List<EdgeEnd> ends) {
        if (ends.size() <= 1) return ends;
        Instant latestOpening = null;
        for (EdgeEnd e : ends) {
            if (e.getState() == EdgeState.OPEN && e.getOpenedAt() != null
                    && (latestOpening == null || e.getOpenedAt().isAfter(latestOpening))) {
                latestOpening = e.getOpenedAt();
            }
        }
        if (latestOpening == null) return ends;
        List<EdgeEnd> kept = new ArrayList<>(ends.size());
        for (EdgeEnd e : ends) {
            boolean superseded = e.getState() == EdgeState.CLOSED && e.getClosedAt() != null && e.getClosedAt().isBefore(latestOpening);
            if (!superseded) kept.add(e);
        }
        return kept;
    }
}
