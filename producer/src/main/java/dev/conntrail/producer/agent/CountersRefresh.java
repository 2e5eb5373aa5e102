package dev.conntrail.producer.agent;

import dev.conntrail.avro.TcpCounters;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.Keys;
import it.unimi.dsi.fastutil.HashCommon;
import it.unimi.dsi.fastutil.longs.Long2LongOpenHashMap;

/**
 * Which open sockets' counters to publish again (docs/design.md, "Counters of open sockets"): of a pass's SNAPSHOT
 * records, those whose counters differ from the last ones published for the same socket. Only the sockets of the
 * latest whole pass are remembered, one entry per open socket: its id (the cookie, or a 64-bit hash of its connection
 * id when records carry none) and a 64-bit fingerprint of its counters — 16 bytes a socket, not the records. Two
 * different counter values with the same fingerprint (odds 2^-64) would skip one refresh of that socket; its next
 * change is sent.
 */
final class CountersRefresh {
    private Long2LongOpenHashMap published = new Long2LongOpenHashMap();
    private Long2LongOpenHashMap pass;

    /** A pass starts: the sockets it sees replace the remembered ones once it {@link #end ends}. */
    void begin() {
        pass = new Long2LongOpenHashMap(Math.max(16, published.size()));
    }

    /**
     * One record of the pass; true when it carries counters that differ from the last published for its socket (or
     * none were). A record without counters (read by sock_diag) is not remembered and never worth a refresh.
     */
    boolean changed(TcpEvent r) {
        TcpCounters c = r.getCounters();
        if (c == null) {
            return false;
        }
        long id = r.getCookie() != null ? r.getCookie() : hash(Keys.of(r));
        long print = fingerprint(c);
        pass.put(id, print);
        return !published.containsKey(id) || published.get(id) != print;
    }

    /** The pass was published whole (a snapshot up to its end, or a refresh): its counters are what the table has now. */
    void end() {
        published = pass;
        pass = null;
    }

    static long fingerprint(TcpCounters c) {
        long h = mix(c.getBytesAcked());
        h = mix(h ^ c.getBytesReceived());
        h = mix(h ^ c.getBytesRetrans());
        h = mix(h ^ c.getSegsOut());
        h = mix(h ^ c.getSegsIn());
        h = mix(h ^ c.getTotalRetrans());
        return mix(h ^ c.getSrttUs());
    }

    private static long hash(String id) {
        long h = 0;
        for (int i = 0; i < id.length(); i++) {
            h = mix(h ^ id.charAt(i));
        }
        return h;
    }

    /** MurmurHash3's 64-bit finalizer (fastutil's) after a step of Weyl's sequence, so that a zero input does not stay zero. */
    private static long mix(long x) {
        return HashCommon.murmurHash3(x + 0x9E3779B97F4A7C15L);
    }
}
