package dev.conntrail.topology;

import dev.conntrail.topology.restore.RowsRestorer;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Stands in for {@link dev.conntrail.topology.restore.KafkaRowsRestorer} in TopologyTestDriver tests:
 * TTD has no broker, so there is no {@code connections} topic to read. It replays the records the
 * previous driver published to {@code connections} (captured by {@link TableFixture}, headers
 * included; TTD has one partition), and refills the task's logged stores with what the previous
 * driver held, as Streams would restore them from their changelogs (a new TTD starts empty). The
 * real restore, on a real broker, is tested in ConnectionTopologyIntegrationTest.
 */
final class ReplayRowsRestorer implements RowsRestorer {
    private final List<TestRecord<String, byte[]>> published;
    private final Map<String, List<KeyValue<String, Object>>> stores;

    ReplayRowsRestorer(List<TestRecord<String, byte[]>> published, Map<String, List<KeyValue<String, Object>>> stores) {
        this.published = published;
        this.stores = stores;
    }

    @Override
    public long replay(ProcessorContext<?, ?> context, String topic, int partition, long fromOffset, RecordHandler each) {
        stores.forEach((name, entries) -> {
            KeyValueStore<String, Object> store = context.getStateStore(name);
            for (KeyValue<String, Object> kv : entries) store.put(kv.key, kv.value);
        });
        for (int offset = (int) fromOffset; offset < published.size(); offset++) {
            TestRecord<String, byte[]> r = published.get(offset);
            each.accept(offset, r.key(), r.value(), r.headers());
        }
        return Math.max(0, published.size() - fromOffset);
    }
}
