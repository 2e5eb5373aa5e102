package dev.conntrail.topology;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.topology.errors.SinkLimit;
import dev.conntrail.topology.liveness.InputProgress;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.rows.HeapRowTable;
import dev.conntrail.topology.rows.RowTable;
import dev.conntrail.topology.state.HostState;
import dev.conntrail.topology.state.StateSerdes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The parts of one task's table wired as {@link ConnectionTableProcessor#init} wires them, for tests of one
 * job at a time: real in-memory stores and a real {@link HeapRowTable} (restored from an empty
 * {@code connections}), in Kafka's own {@link MockProcessorContext} (it captures what is forwarded to the
 * sink and lets the test set the wall clock; no broker is needed at this level).
 */
final class TaskParts {
    static final Instant T0 = Instant.parse("2026-11-26T20:00:03Z");
    static final Duration W = Duration.ofSeconds(10);

    final TopologySettings settings;
    final TopologyMetrics metrics = new TopologyMetrics(new SimpleMeterRegistry());
    final MockProcessorContext<String, Connection> context = new MockProcessorContext<>(new Properties());
    final KeyValueStore<String, NatEntry> natStore;
    final KeyValueStore<String, HostState> hostStore;
    final RowTable rows;
    final RowCounts counts = new RowCounts(metrics);
    final Expiry expiry;
    final RowChanges changes;
    final HostLiveness hosts;
    final NatJoin nat;
    final EventRules events;
    /** The proof of reading through that {@link HostLiveness} is judged on; null: none (the offsets cannot be read). */
    InputProgress.ReadThrough readThrough;
    long epoch = 1;
    long seq;

    TaskParts() {
        this(TopologySettings.defaults(W).withPersistentStores(false), SinkLimit.unlimited(), null);
    }

    TaskParts(TopologySettings settings, SinkLimit sinkLimit, Serde<Connection> sinkSerde) {
        this.settings = settings;
        context.setCurrentSystemTimeMs(T0.toEpochMilli());
        KeyValueStore<String, byte[]> marks = store(ConnectionTopology.ROW_MARKS_STORE, Serdes.ByteArray());
        natStore = store(ConnectionTopology.NAT_STORE, StateSerdes.natEntries());
        hostStore = store(ConnectionTopology.HOSTS_STORE, StateSerdes.hosts());
        rows = HeapRowTable.restore(context, (ctx, topic, partition, from, each) -> 0, settings.topics().connections(), null, marks, settings,
                metrics, null);
        expiry = new Expiry(context, rows, counts, metrics, settings.punctuateEvery().toMillis());
        changes = new RowChanges(context, rows, counts, expiry, settings, metrics, sinkSerde == null ? null : sinkSerde.serializer(), sinkLimit);
        hosts = new HostLiveness(context, hostStore, rows, changes, (partition, now) -> readThrough, settings, metrics);
        nat = new NatJoin(natStore, rows, changes, hosts, settings, metrics);
        events = new EventRules(rows, changes, counts, hosts, nat, metrics);
    }

    private <V> KeyValueStore<String, V> store(String name, Serde<V> values) {
        KeyValueStore<String, V> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), values)
                .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        return store;
    }

    long now() {
        return context.currentSystemTimeMs();
    }

    void advance(Duration d) {
        context.setCurrentSystemTimeMs(now() + d.toMillis());
    }

    /** Row changes forwarded to the sink since the last call (null value: a tombstone). */
    List<Record<String, Connection>> published() {
        List<Record<String, Connection>> out = new ArrayList<>();
        for (var f : context.forwarded()) {
            @SuppressWarnings("unchecked")
            Record<String, Connection> r = (Record<String, Connection>) f.record();
            out.add(r);
        }
        context.resetForwards();
        return out;
    }

    /** A tcp-events record of a socket {@code host|4026531833|10.0.0.1|lport|10.0.0.2|80|lport}, as a producer keys it. */
    TcpEvent event(EventType type, String host, int lport, Instant at) {
        TcpEvent.Builder b = TcpEvent.newBuilder().setHost(host).setAgentEpoch(epoch).setSeq(++seq).setType(type).setTimestamp(at)
                .setNetns(4026531833L).setFamily(Family.IPV4).setLaddr("10.0.0.1").setLport(lport).setRaddr("10.0.0.2").setRport(80)
                .setCookie((long) lport).setUid(1000L).setSource(Source.EBPF);
        if (type == EventType.CONNECT) b.setDirection(Direction.OUTGOING);
        if (type != EventType.CLOSE) b.setPid(4242).setTid(4242).setComm("curl");
        return b.build();
    }

    static String key(TcpEvent e) {
        return dev.conntrail.schemas.Keys.of(e);
    }

    /** Hands an event to {@link EventRules} as the processor does, at the current wall clock. */
    void send(TcpEvent e) {
        events.onEvent(key(e), e, e.getTimestamp().toEpochMilli(), now());
    }
}
