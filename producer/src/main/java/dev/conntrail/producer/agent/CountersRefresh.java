package dev.conntrail.producer.agent;

import dev.conntrail.avro.TcpCounters;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.Keys;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which open sockets' counters to publish again (docs/design.md, "Counters of open sockets"): of a pass's SNAPSHOT
 * records, those whose counters differ from the last ones published for the same connection id. Only the sockets
 * of the latest pass are remembered, so it holds one entry per open socket at most.
 */
final class CountersRefresh {
    private Map<String, TcpCounters> published = new HashMap<>();

    /** A snapshot was published whole: its counters are what the table has now. */
    void published(List<TcpEvent> snapshotRecords) {
        Map<String, TcpCounters> now = new HashMap<>(Math.max(16, snapshotRecords.size() * 2));
        for (TcpEvent r : snapshotRecords) {
            if (r.getCounters() != null) {
                now.put(Keys.of(r), r.getCounters());
            }
        }
        published = now;
    }

    /** The records of a refresh pass worth publishing: with counters, changed since they were last published. */
    List<TcpEvent> changed(List<TcpEvent> passRecords) {
        Map<String, TcpCounters> now = new HashMap<>(Math.max(16, passRecords.size() * 2));
        List<TcpEvent> out = new ArrayList<>();
        for (TcpEvent r : passRecords) {
            if (r.getCounters() == null) {
                continue; // read by a source without counters (sock_diag): nothing to refresh
            }
            String id = Keys.of(r);
            now.put(id, r.getCounters());
            if (!Objects.equals(published.get(id), r.getCounters())) {
                out.add(r);
            }
        }
        published = now;
        return out;
    }
}
