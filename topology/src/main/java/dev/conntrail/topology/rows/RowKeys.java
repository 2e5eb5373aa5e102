package dev.conntrail.topology.rows;

import dev.conntrail.schemas.Addresses;
import dev.conntrail.schemas.Keys;

/**
 * Keys of the topology's stores, built so the lookups the rules need are prefix scans.
 * <ul>
 * <li>rows: {@code host|l|lport|r|rport|<connection id>} with l, r compared as
 * {@link Addresses#comparable} — a host's rows share the prefix {@code host|} (design rule 5, convergence), a tuple's
 * rows share {@code host|l|lport|r|rport|} (design rule 7 (NAT): an entry arriving after the socket);</li>
 * <li>NAT entries, twice: {@code O|host|origSrc|origSport|origDst|origDport|<NAT key>} and
 * {@code R|host|replySrc|replySport|replyDst|replyDport|<NAT key>}, so a socket finds the entries
 * whose original (initiator) or reply (responder) tuple it is.</li>
 * </ul>
 * Addresses never contain {@code |}, so the connection id starts after the fifth separator.
 */
public final class RowKeys {
    public static final String INITIATOR = "O|";
    public static final String RESPONDER = "R|";

    private RowKeys() {
    }

    public static String tuple(String host, String laddr, Integer lport, String raddr, Integer rport) {
        return new StringBuilder(64).append(host).append('|').append(Addresses.comparable(laddr)).append('|').append(lport)
                .append('|').append(Addresses.comparable(raddr)).append('|').append(rport).append('|').toString();
    }

    static String row(String tuplePrefix, String connectionId) {
        return tuplePrefix + connectionId;
    }

    static String hostPrefix(String host) {
        return host + Keys.SEPARATOR;
    }

    /** The connection id inside a rows-store key. */
    static String connectionIdOf(String rowKey) {
        int at = -1;
        for (int i = 0; i < 5; i++) {
            at = rowKey.indexOf(Keys.SEPARATOR, at + 1);
        }
        return rowKey.substring(at + 1);
    }
}
