package dev.conntrail.schemas;

import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.TcpEvent;

/**
 * The contract's record keys (docs/design.md, "Names"): plain strings, {@code |}-separated, host first,
 * so the partitioner can find the host in any of them.
 */
public final class Keys {
    public static final char SEPARATOR = '|';

    private Keys() {
    }

    /** {@code host|netns|laddr|lport|raddr|rport|cookie}; the cookie segment is {@code 0} when unknown. */
    public static String connectionId(String host, Long netns, String laddr, Integer lport, String raddr, Integer rport,
            Long cookie) {
        return new StringBuilder(96).append(checkHost(host)).append(SEPARATOR)
                .append(netns == null ? "" : netns.toString()).append(SEPARATOR)
                .append(laddr == null ? "" : laddr).append(SEPARATOR)
                .append(lport == null ? "" : lport.toString()).append(SEPARATOR)
                .append(raddr == null ? "" : raddr).append(SEPARATOR)
                .append(rport == null ? "" : rport.toString()).append(SEPARATOR)
                .append(cookie == null ? 0L : cookie).toString();
    }

    /** The key of a {@code tcp-events} record: the connection id, or the host for HEARTBEAT and SNAPSHOT_END. */
    public static String of(TcpEvent e) {
        switch (e.getType()) {
            case HEARTBEAT:
            case SNAPSHOT_END:
                return checkHost(e.getHost());
            default:
                return connectionId(e.getHost(), e.getNetns(), e.getLaddr(), e.getLport(), e.getRaddr(), e.getRport(),
                        e.getCookie());
        }
    }

    /** {@code host|netns|zone|family|origSrc|origSport|origDst|origDport}. */
    public static String natKey(String host, Long netns, int zone, String family, String origSrc, int origSport,
            String origDst, int origDport) {
        return checkHost(host) + SEPARATOR + (netns == null ? "" : netns.toString()) + SEPARATOR + zone + SEPARATOR
                + family + SEPARATOR + origSrc + SEPARATOR + origSport + SEPARATOR + origDst + SEPARATOR + origDport;
    }

    /** The parts of a {@link #natKey}; only the ports are typed, the rest as the key spells it. */
    public record NatKeyParts(String host, String netns, String zone, String family, String origSrc, int origSport,
                              String origDst, int origDport) {
    }

    /**
     * Reads a key made by {@link #natKey} back into its parts.
     *
     * @throws IllegalArgumentException when it is not one (not eight parts, or a port that is no number)
     */
    public static NatKeyParts parseNatKey(String key) {
        String[] k = key.split("\\|", -1);
        if (k.length != 8) {
            throw new IllegalArgumentException("not a NAT key (host|netns|zone|family|origSrc|origSport|origDst|origDport): " + k.length + " parts");
        }
        try {
            return new NatKeyParts(k[0], k[1], k[2], k[3], k[4], Integer.parseInt(k[5]), k[6], Integer.parseInt(k[7]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a NAT key (host|netns|zone|family|origSrc|origSport|origDst|origDport): a port is no number");
        }
    }

    public static String of(NatEntry n) {
        return natKey(n.getHost(), n.getNetns(), n.getZone(), n.getFamily().name(), n.getOrigSrc(), n.getOrigSport(),
                n.getOrigDst(), n.getOrigDport());
    }

    /** The host part of any key: everything up to the first {@code |} (the whole key if there is none). */
    public static String hostOf(String key) {
        int i = key.indexOf(SEPARATOR);
        return i < 0 ? key : key.substring(0, i);
    }

    /**
     * A host id must be non-empty, must not contain {@code |} and must be at most
     * {@link RecordBounds#HOST_MAX_BYTES} UTF-8 bytes.
     */
    public static String checkHost(String host) {
        if (host == null || host.isEmpty() || host.indexOf(SEPARATOR) >= 0) {
            throw new IllegalArgumentException("host id must be non-empty and must not contain '|': " + host);
        }
        RecordBounds.Violation tooLong = RecordBounds.text("host id", host, RecordBounds.HOST_MAX_BYTES);
        if (tooLong != null) {
            throw new IllegalArgumentException(tooLong + ": " + host.substring(0, 40) + "…");
        }
        return host;
    }
}
