package dev.conntrail.topology;

import dev.conntrail.topology.liveness.CatchUpLedger;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * What the offset watcher would read in a TopologyTestDriver test (partition 0 of both inputs): the end offsets and
 * the committed offsets, fed into a real {@link CatchUpLedger} at each wall-clock step of the fixture. A backlog
 * is records appended and not yet processed; a broker down is checks that fail (nothing observed).
 */
final class FakeInputs {
    final CatchUpLedger ledger;
    private final TopicPartition events;
    private final TopicPartition nat;
    long processed;
    long backlog;
    boolean brokerDown;

    FakeInputs(TopicNames topics, long windowMs) {
        ledger = new CatchUpLedger(windowMs, 10_000);
        events = new TopicPartition(topics.events(), 0);
        nat = new TopicPartition(topics.nat(), 0);
    }

    /** The same offsets, read by a freshly started topology (an empty ledger). */
    FakeInputs restarted(TopicNames topics, long windowMs) {
        FakeInputs next = new FakeInputs(topics, windowMs);
        next.processed = processed;
        next.backlog = backlog;
        next.brokerDown = brokerDown;
        return next;
    }

    /** One record appended and processed (the driver processes what is piped at once). */
    void processedOne() {
        processed++;
    }

    /** One check of the watcher at wall time {@code at}. */
    void observe(long at) {
        if (brokerDown) return;
        long end = processed + backlog;
        ledger.observe(at, Map.of(events, end, nat, 0L), Map.of(events, processed));
    }
}
