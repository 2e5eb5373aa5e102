package dev.conntrail.topology.fleet;

import dev.conntrail.avro.NatEntry;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the connections table must have come to, by the simulator's own account of every socket it
 * published: the fate of each connection id, and the NAT entry an open row must carry.
 */
final class FleetModel {
    enum Fate {
        /** open at the end: its row is OPEN. */
        OPEN,
        /** closed by a CLOSE: its row went CLOSED (reason CLOSED), then was tombstoned. */
        CLOSED,
        /** open when its host vanished and not open again: its row went CLOSED (HOST_LOST), then was tombstoned. */
        HOST_LOST,
        /** open when its host vanished, still open when the host came back: HOST_LOST, then OPEN again from the new snapshot. */
        HOST_LOST_THEN_OPEN,
        /** closed with its CLOSE lost, then left out of its live host's fresh snapshot: CLOSED (NOT_IN_SNAPSHOT), then tombstoned. */
        NOT_IN_SNAPSHOT
    }

    private final Map<String, Fate> fates = new HashMap<>();
    private final Map<String, NatEntry> nat = new HashMap<>();
    /** Connections that were open when their host vanished: their rows went HOST_LOST on the way, whatever came after. */
    private final Set<String> lostOnce = new HashSet<>();
    private final Set<String> returnedHosts = new HashSet<>();

    synchronized void opened(FleetConnection c) {
        fates.put(c.id, Fate.OPEN);
        if (c.nat != null) nat.put(c.id, c.nat);
    }

    synchronized void closed(FleetConnection c) {
        fates.put(c.id, Fate.CLOSED);
    }

    synchronized void closedUnseen(FleetConnection c) {
        fates.put(c.id, Fate.NOT_IN_SNAPSHOT);
    }

    synchronized void hostLost(FleetConnection c) {
        fates.put(c.id, Fate.HOST_LOST);
        lostOnce.add(c.id);
    }

    /** A vanished host came back (its connections' histories depend on whether the topology judged it lost meanwhile). */
    synchronized void returned(String host) {
        returnedHosts.add(host);
    }

    synchronized boolean hasReturned(String host) {
        return returnedHosts.contains(host);
    }

    synchronized void reopened(FleetConnection c) {
        fates.put(c.id, Fate.HOST_LOST_THEN_OPEN);
    }

    synchronized Map<String, Fate> fates() {
        return new HashMap<>(fates);
    }

    /** The NAT entry of a connection that went through a DNAT, or null. */
    synchronized NatEntry natOf(String id) {
        return nat.get(id);
    }

    synchronized boolean wasLost(String id) {
        return lostOnce.contains(id);
    }

    synchronized long count(Fate f) {
        return fates.values().stream().filter(x -> x == f).count();
    }
}
