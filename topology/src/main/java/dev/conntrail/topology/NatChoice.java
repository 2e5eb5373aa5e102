package dev.conntrail.topology;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.NatInfo;
import java.util.Objects;

/**
 * Design rule 7's (NAT) preference among NAT entries that match one socket: the socket's own namespace first,
 * then the host's root namespace, then any other; among equals, the role that fits the socket's
 * direction (OUTGOING: the original tuple, INCOMING: the reply tuple), then the NAT key, so the
 * choice does not depend on arrival order.
 */
final class NatChoice {
    final NatEntry entry;
    final String natKey;
    final boolean asInitiator;
    private final int rank;

    NatChoice(NatEntry entry, String natKey, boolean asInitiator, Connection socket, long rootNetns) {
        this.entry = entry;
        this.natKey = natKey;
        this.asInitiator = asInitiator;
        int ns = Objects.equals(entry.getNetns(), socket.getNetns()) ? 0
                : entry.getNetns() != null && entry.getNetns() == rootNetns ? 1 : 2;
        Direction d = socket.getDirection();
        boolean fits = d == null || d == Direction.UNKNOWN || (d == Direction.OUTGOING) == asInitiator;
        this.rank = ns * 2 + (fits ? 0 : 1);
    }

    boolean betterThan(NatChoice other) {
        if (other == null) return true;
        if (rank != other.rank) return rank < other.rank;
        return natKey.compareTo(other.natKey) < 0;
    }

    NatInfo info() {
        return NatInfo.newBuilder().setNetns(entry.getNetns())
                .setOrigSrc(entry.getOrigSrc()).setOrigSport(entry.getOrigSport())
                .setOrigDst(entry.getOrigDst()).setOrigDport(entry.getOrigDport())
                .setReplySrc(entry.getReplySrc()).setReplySport(entry.getReplySport())
                .setReplyDst(entry.getReplyDst()).setReplyDport(entry.getReplyDport()).build();
    }
}
