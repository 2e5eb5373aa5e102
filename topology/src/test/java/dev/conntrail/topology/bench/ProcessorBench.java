package dev.conntrail.topology.bench;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.Keys;
import dev.conntrail.topology.ConnectionTopology;
import dev.conntrail.topology.TopicNames;
import dev.conntrail.topology.TopologySettings;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.restore.RowsRestorer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * The table processor's own CPU per input event, without a broker: the topology in a
 * {@link TopologyTestDriver} on the calling thread, fed the throughput phase's input of {@link TopologyBench}
 * (CONNECT, CLOSE 1,000 events later, 60 hosts, heartbeats), already serialized. What the broker, EOS commits
 * and the network threads add is left out, so two builds of the processor compare with far less noise than the
 * end-to-end rounds (BENCHMARKS.md, "Topology"). The driver's own per-record work (the input topic, the
 * output capture) is in the figure, the same for every build.
 *
 * <p>Usage: {@code BENCH_MAIN=ProcessorBench bench/topology-bench.sh [sockets=200000] [rounds=12]}; rounds 0 and 1 warm the JIT and do not count.
 */
public final class ProcessorBench {
    private ProcessorBench() {
    }

    public static void main(String[] args) throws Exception {
        int sockets = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 12;
        List<String> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        List<Long> times = new ArrayList<>();
        Instant t0 = Instant.parse("2026-12-07T12:00:00Z");
        for (int i = 0; i < sockets + 1000; i++) {
            Instant at = t0.plusNanos(i * 10_000L);
            if (i < sockets) add(keys, values, times, TopologyBench.event(EventType.CONNECT, i, at));
            if (i >= 1000) add(keys, values, times, TopologyBench.event(EventType.CLOSE, i - 1000, at));
            if (i % 1000 == 0) {
                for (int h = 0; h < TopologyBench.HOSTS; h++) add(keys, values, times, TopologyBench.heartbeat("bench-host-" + h, at));
            }
        }
        System.out.printf("events per round: %d (%d sockets)%n", keys.size(), sockets);
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        List<Double> counted = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            try (TopologyTestDriver driver = driver(t0)) {
                TestInputTopic<String, byte[]> in = driver.createInputTopic(TopologyBench.IN, new StringSerializer(), new ByteArraySerializer());
                long start = cpu.getCurrentThreadCpuTime();
                for (int i = 0; i < keys.size(); i++) {
                    in.pipeInput(keys.get(i), values.get(i), times.get(i));
                }
                double nsPerEvent = (double) (cpu.getCurrentThreadCpuTime() - start) / keys.size();
                System.out.printf("round %d: %.0f ns CPU per event (%.0f events per CPU second)%s%n", round, nsPerEvent, 1e9 / nsPerEvent,
                        round < 2 ? " (warm-up)" : "");
                if (round >= 2) counted.add(nsPerEvent);
            }
        }
        counted.sort(null);
        double median = TopologyBench.median(counted);
        System.out.printf("median %.0f ns CPU per event over %d rounds (min %.0f, max %.0f)%n", median, counted.size(), counted.get(0),
                counted.get(counted.size() - 1));
        System.exit(0); // TopologyBench's registry and broker fixtures, started by its serdes, hold the JVM
    }

    private static void add(List<String> keys, List<byte[]> values, List<Long> times, TcpEvent e) {
        keys.add(Keys.of(e));
        values.add(TopologyBench.EVENTS.serializer().serialize(TopologyBench.IN, e));
        times.add(e.getTimestamp().toEpochMilli());
    }

    private static TopologyTestDriver driver(Instant wallClock) throws java.io.IOException {
        TopologySettings settings = TopologySettings.defaults(Duration.ofSeconds(10))
                .withTopics(new TopicNames(TopologyBench.IN, TopologyBench.NAT, "bench-connections-ttd", "bench-dlq-ttd"));
        // rows start empty: nothing to restore (one method per restorer signature the builds have had)
        RowsRestorer nothing = new RowsRestorer() {
            public long replay(ProcessorContext<?, ?> context, String topic, int partition, long fromOffset, RecordHandler each) {
                return 0;
            }

            public long replay(ProcessorContext<?, ?> context, String topic, int partition, RecordHandler each) {
                return 0;
            }
        };
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "processor-bench");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("processor-bench").toString());
        return new TopologyTestDriver(ConnectionTopology.build(settings, TopologyBench.EVENTS, TopologyBench.NATS, TopologyBench.CONNECTIONS,
                new TopologyMetrics(new SimpleMeterRegistry()), nothing, TopologyBench.NO_JUDGEMENT), props, wallClock);
    }
}
