package dev.conntrail.topology.bench;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.Keys;
import dev.conntrail.avro.ConnectionEdge;
import dev.conntrail.avro.WorkloadEdge;
import dev.conntrail.topology.ConnectionTopology;
import dev.conntrail.topology.graph.GraphMetrics;
import dev.conntrail.topology.graph.GraphTopics;
import dev.conntrail.topology.graph.ServiceGraphTopology;
import dev.conntrail.topology.rows.HeapFootprint;
import dev.conntrail.topology.StreamsSettings;
import dev.conntrail.topology.TopicNames;
import dev.conntrail.topology.TopologySettings;
import dev.conntrail.testkit.RealCluster;
import dev.conntrail.topology.it.TestSerdes;
import dev.conntrail.topology.metrics.TopologyMetrics;
import dev.conntrail.topology.restore.KafkaRowsRestorer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The topology's benchmark (BENCHMARKS.md "## Topology"): the testkit's broker in this JVM and its
 * Apicurio registry, the real registry serde everywhere, one run:
 * <ol>
 * <li>throughput over the same input topic: a stateless Streams app that decodes and re-encodes
 * each TcpEvent, versus the topology in several settings;</li>
 * <li>latency from a CLOSE's append to its CLOSED row (read_committed) at a fixed input rate;</li>
 * <li>state per open connection: heap in in-memory mode (before the broker starts), disk in RocksDB mode;</li>
 * <li>restore: rows rebuilt per second from {@code connections} when a task starts (in-memory mode).</li>
 * </ol>
 * Args: sockets (default 200000), latency rate events/s (10000), latency seconds (20), open connections for the state size (100000).
 */
public final class TopologyBench {
    static final int PARTITIONS = 6;
    static final int HOSTS = 60;
    static final String IN = "bench-tcp-events";
    static final String NAT = "bench-conntrack-nat";
    static final Serde<TcpEvent> EVENTS = TestSerdes.forValues(TcpEvent.class);
    static final Serde<NatEntry> NATS = TestSerdes.forValues(NatEntry.class);
    static final Serde<Connection> CONNECTIONS = TestSerdes.forValues(Connection.class);
    static final Serde<ConnectionEdge> EDGES = TestSerdes.forValues(ConnectionEdge.class);
    static final Serde<WorkloadEdge> WORKLOADS = TestSerdes.forValues(WorkloadEdge.class);

    public static void main(String[] args) throws Exception {
        int sockets = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        int latencySeconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int openForState = args.length > 3 ? Integer.parseInt(args[3]) : 100_000;
        // -Dbench.phases=heap,throughput,latency,restore,state (default: all)
        java.util.Set<String> phases = java.util.Set.of(System.getProperty("bench.phases", "heap,throughput,latency,restore,state").split(","));
        if (openForState > 0 && phases.contains("heap")) {
            // before the broker starts, so its allocations do not blur the used-heap figures
            HeapFootprint.Result heap = HeapFootprint.measure(openForState, HOSTS);
            System.out.printf("heap per open row, in-memory mode (%d rows, %d hosts, used heap after full GCs): %.0f bytes as kept now"
                    + " (compact row by connection id) vs %.0f bytes as Avro objects by tuple|id (before 2026-11-27): %.2fx%n", heap.rows(), HOSTS,
                    heap.compactBytesPerRow(), heap.avroBytesPerRow(), heap.avroBytesPerRow() / heap.compactBytesPerRow());
        }
        String bootstrap = RealCluster.broker().bootstrapServers();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(IN, PARTITIONS, (short) 1), new NewTopic(NAT, PARTITIONS, (short) 1))).all().get();
        }
        createTopics(bootstrap, "bench-pass-out");
        long events = phases.contains("throughput") ? produceLifecycles(bootstrap, IN, sockets, 0) : 0;
        System.out.printf("input: %d events (%d sockets: CONNECT + CLOSE, %d hosts, heartbeats), %d partitions%n", events, sockets, HOSTS, PARTITIONS);

        int rounds = Integer.getInteger("bench.rounds", 3);
        String[] variants = {PASS, PASS_TWICE, DEFAULT, ROCKSDB, GRAPH};
        Map<String, List<Result>> results = new java.util.LinkedHashMap<>();
        List<String[]> rows = new ArrayList<>();
        // the variants alternate inside each round, so a ratio compares runs a few seconds apart
        // round 0 warms the JIT up (the first runs were up to 3x slower) and is not counted
        for (int round = 0; phases.contains("throughput") && round <= rounds; round++) {
            for (String v : variants) {
                Result r = run(bootstrap, v, variant(v), "exactly_once_v2", events, round, false);
                if (r == null || round == 0) continue;
                results.computeIfAbsent(v, k -> new ArrayList<>()).add(r);
                rows.add(r.row(round));
            }
        }
        System.out.println();
        System.out.println("| variant | round | events | seconds | events/s | app CPU s | events per app CPU s | JVM CPU s (broker included) | events per JVM CPU s | load avg |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (String[] r : rows) System.out.println("| " + String.join(" | ", r) + " |");
        System.out.println();
        System.out.println("| variant | median events/s | median events per app CPU s | ratio to pass-through, same round (wall) | median | ratio (app CPU) | median |");
        System.out.println("|---|---|---|---|---|---|---|");
        List<Result> pass = results.getOrDefault(PASS, List.of());
        for (Map.Entry<String, List<Result>> e : results.entrySet()) {
            List<Result> rs = e.getValue();
            List<Double> wall = new ArrayList<>();
            List<Double> cpu = new ArrayList<>();
            for (int i = 0; i < rs.size() && i < pass.size(); i++) {
                wall.add(rs.get(i).perSecond() / pass.get(i).perSecond());
                cpu.add(rs.get(i).perAppCpuSecond() / pass.get(i).perAppCpuSecond());
            }
            System.out.printf("| %s | %.0f | %.0f | %s | %.2f | %s | %.2f |%n", e.getKey(), median(rs.stream().map(Result::perSecond).toList()),
                    median(rs.stream().map(Result::perAppCpuSecond).toList()), join(wall), median(wall), join(cpu), median(cpu));
        }

        if (latencySeconds > 0 && phases.contains("latency")) latency(bootstrap, rate, latencySeconds);
        if (openForState > 0 && phases.contains("restore")) restoreSpeed(bootstrap, openForState);
        if (openForState > 0 && phases.contains("state")) stateSize(bootstrap, openForState);
        System.exit(0);
    }

    static final String PASS = "pass-through EOS (decode + re-encode TcpEvent)";
    static final String PASS_TWICE = "pass-through EOS, every event written twice (a row change + a changelog record per input)";
    static final String DEFAULT = "topology EOS, rows on the heap, connections as their changelog (default)";
    static final String ROCKSDB = "topology EOS, RocksDB rows store (logged), cache off";
    static final String GRAPH = "topology EOS, rows on the heap, with the service graph (every row an end alone: no pairs in this input)";

    static java.util.function.BiFunction<String, Properties, Topology> variant(String name) {
        return switch (name) {
            case PASS -> (s, p) -> passThrough();
            case PASS_TWICE -> (s, p) -> passThroughTwice();
            case DEFAULT -> topology(false, false);
            case ROCKSDB -> topology(false, true);
            case GRAPH -> (suffix, props) -> {
                Topology t = topology(false, false).apply(suffix, props);
                ServiceGraphTopology.addTo(t, "bench-connections-" + suffix, graphTopics(suffix), CONNECTIONS, EDGES, WORKLOADS, false,
                        new GraphMetrics(new SimpleMeterRegistry()));
                return t;
            };
            default -> throw new IllegalArgumentException(name);
        };
    }

    static Topology passThrough() {
        StreamsBuilder b = new StreamsBuilder();
        b.stream(IN, Consumed.with(Serdes.String(), EVENTS)).mapValues(e -> e).to("bench-pass-out", Produced.with(Serdes.String(), EVENTS));
        return b.build();
    }

    /**
     * The former bound: with a logged rows store the topology wrote two records per input event
     * before its tombstones (due a window later, after the measured span), a row change and its
     * changelog record. This writes each event twice, re-encoded each time, and keeps no state.
     */
    static Topology passThroughTwice() {
        StreamsBuilder b = new StreamsBuilder();
        b.stream(IN, Consumed.with(Serdes.String(), EVENTS)).flatMapValues(e -> List.of(e, e))
                .to("bench-pass-out", Produced.with(Serdes.String(), EVENTS));
        return b.build();
    }

    static GraphTopics graphTopics(String suffix) {
        return new GraphTopics("bench-ends-" + suffix, "bench-edges-" + suffix, "bench-graph-" + suffix);
    }

    static TopologySettings settings(boolean cache, boolean rocks, String suffix) {
        return TopologySettings.defaults(Duration.ofSeconds(10)).withStoreCaching(cache).withPersistentStores(rocks)
                .withInputPartitions(PARTITIONS).withTopics(new TopicNames(IN, NAT, "bench-connections-" + suffix, "bench-dlq-" + suffix));
    }

    /** Throughput runs judge no host lost (no offset watcher): design rule 5's liveness is not what they measure. */
    static final dev.conntrail.topology.liveness.InputProgress NO_JUDGEMENT = (partition, now) -> null;

    static java.util.function.BiFunction<String, Properties, Topology> topology(boolean cache, boolean rocks) {
        return (suffix, props) -> ConnectionTopology.build(settings(cache, rocks, suffix), EVENTS, NATS, CONNECTIONS,
                new TopologyMetrics(new SimpleMeterRegistry()), new KafkaRowsRestorer(props), NO_JUDGEMENT);
    }

    record Result(String name, long events, double seconds, double appCpu, double jvmCpu, double load) {
        double perSecond() {
            return events / seconds;
        }

        double perAppCpuSecond() {
            return events / appCpu;
        }

        String[] row(int round) {
            return new String[] {name, Integer.toString(round), Long.toString(events), String.format("%.2f", seconds), String.format("%.0f", perSecond()),
                    String.format("%.1f", appCpu), String.format("%.0f", perAppCpuSecond()), String.format("%.1f", jvmCpu),
                    String.format("%.0f", events / jvmCpu), String.format("%.1f", load)};
        }
    }

    /** Kafka Streams properties of one bench instance: the topology's own (StreamsSettings), replication 1 (one broker). */
    static Properties streamsProperties(String bootstrap, String app, String guarantee, Path state, TopologySettings s) {
        Properties p = StreamsSettings.of(Map.of("bootstrap.servers", bootstrap), app, guarantee, state, s,
                new TopologyMetrics(new SimpleMeterRegistry()));
        p.put("replication.factor", 1);
        return p;
    }

    /** The connections table alone (no judgement of hosts), as the latency and state-size runs measure it. */
    static KafkaStreams tableStreams(TopologySettings s, Properties p) {
        return new KafkaStreams(ConnectionTopology.build(s, EVENTS, NATS, CONNECTIONS, new TopologyMetrics(new SimpleMeterRegistry()),
                new KafkaRowsRestorer(p), NO_JUDGEMENT), p);
    }

    static Result run(String bootstrap, String name, java.util.function.BiFunction<String, Properties, Topology> t, String guarantee, long events,
            int round, boolean cache) throws Exception {
        // -Dbench.only=<part of a variant's name>[;<another>...]: run only those variants
        String only = System.getProperty("bench.only");
        if (only != null && java.util.Arrays.stream(only.split(";")).noneMatch(name::contains)) return null;
        String app = "bench-" + Math.abs((name + round + System.nanoTime()).hashCode());
        Path state = Files.createTempDirectory("bench-state");
        TopologySettings s = settings(cache, true, app);
        Properties p = streamsProperties(bootstrap, app, guarantee, state, s);
        if (cache) p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 10L * 1024 * 1024);
        createTopics(bootstrap, "bench-connections-" + app, "bench-dlq-" + app);
        // the graph's sub-topologies read what the table wrote: caught up once they have read it all too
        List<String> downstream = name.equals(GRAPH) ? List.of("bench-connections-" + app, graphTopics(app).ends()) : List.of();
        if (name.equals(GRAPH)) createTopics(bootstrap, graphTopics(app).ends(), graphTopics(app).edges(), graphTopics(app).workloads());
        KafkaStreams streams = new KafkaStreams(t.apply(app, p), p);
        streams.start();
        double[] r = waitCaughtUp(bootstrap, app, events, downstream);
        printCommitMetrics(name, streams);
        streams.close(Duration.ofSeconds(30));
        deleteRecursively(state);
        Result result = new Result(name, (long) r[0], r[1], r[3], r[2], loadAverage());
        System.out.println(String.join(" | ", result.row(round)));
        return result;
    }

    /** The stream thread's EOS commits (each flushes the producer and ends a transaction): where wall time beyond CPU can go. */
    static void printCommitMetrics(String name, KafkaStreams streams) {
        Map<String, Double> m = new HashMap<>();
        streams.metrics().forEach((k, v) -> {
            if (k.group().equals("stream-thread-metrics") && k.name().startsWith("commit-") && v.metricValue() instanceof Double d) {
                m.merge(k.name(), d, Double::sum);
            }
        });
        System.out.printf("  commits (%s): total %.0f, latency avg %.1f ms, max %.1f ms%n", name, m.getOrDefault("commit-total", Double.NaN),
                m.getOrDefault("commit-latency-avg", Double.NaN), m.getOrDefault("commit-latency-max", Double.NaN));
    }

    static double median(List<Double> xs) {
        if (xs.isEmpty()) return Double.NaN;
        List<Double> s = xs.stream().sorted().toList();
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    static String join(List<Double> xs) {
        return String.join(" / ", xs.stream().map(x -> String.format("%.2f", x)).toList());
    }

    /** CPU time of the threads of one Streams app (stream thread, its producer and consumer threads, admin): named after its id. */
    static long appCpuNanos(String app) {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().contains(app)) {
                long t = threads.getThreadCpuTime(info.getThreadId());
                if (t > 0) sum += t;
            }
        }
        return sum;
    }

    /** CPU time of this whole JVM: the broker, the Streams app, the load generator's idle clients. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Events between the group's first and last commit on the input, the seconds and the JVM's CPU seconds in between. */
    static double[] waitCaughtUp(String bootstrap, String group, long events) throws Exception {
        return waitCaughtUp(bootstrap, group, events, List.of());
    }

    /** As above, and then until the group's committed offsets on {@code downstream} (topics the app writes and reads back) reach their ends. */
    static double[] waitCaughtUp(String bootstrap, String group, long events, List<String> downstream) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int i = 0; i < PARTITIONS; i++) latest.put(new TopicPartition(IN, i), OffsetSpec.latest());
            long end = 0;
            for (ListOffsetsResult.ListOffsetsResultInfo info : admin.listOffsets(latest).all().get().values()) end += info.offset();
            long firstAt = 0;
            long firstCommitted = 0;
            long firstCpu = 0;
            long firstAppCpu = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (System.nanoTime() < deadline) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                long done = committed.entrySet().stream().filter(e -> e.getKey().topic().equals(IN)).mapToLong(e -> e.getValue().offset()).sum();
                long now = System.nanoTime();
                if (firstAt == 0 && done > 0) {
                    firstAt = now;
                    firstCommitted = done;
                    firstCpu = processCpuNanos();
                    firstAppCpu = appCpuNanos(group);
                }
                if (done >= end && drained(admin, group, downstream)) {
                    return new double[] {end - firstCommitted, (now - firstAt) / 1e9, (processCpuNanos() - firstCpu) / 1e9,
                        (appCpuNanos(group) - firstAppCpu) / 1e9};
                }
                Thread.sleep(50);
            }
            throw new IllegalStateException(group + " did not catch up in 10 minutes");
        }
    }

    private static boolean drained(Admin admin, String group, List<String> topics) throws Exception {
        if (topics.isEmpty()) return true;
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (String t : topics) for (int i = 0; i < PARTITIONS; i++) latest.put(new TopicPartition(t, i), OffsetSpec.latest());
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        for (var e : admin.listOffsets(latest).all().get().entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            // a transaction's end marker takes an offset: an end one past the last committed record is read through too
            if (e.getValue().offset() > 0 && (c == null || c.offset() < e.getValue().offset() - 1)) return false;
        }
        return true;
    }

    /** The settings of a producer of the bench's input: idempotent, acks=all, then {@code settings} (each run's own). */
    static Map<String, Object> inputProducer(String bootstrap, Object... settings) {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", bootstrap);
        p.put("acks", "all");
        p.put("enable.idempotence", true);
        for (int i = 0; i < settings.length; i += 2) {
            p.put((String) settings[i], settings[i + 1]);
        }
        return p;
    }

    /** CONNECT for socket i, CLOSE for socket i-1000, a HEARTBEAT per host every 1000 events; event time now (+ offset). */
    static long produceLifecycles(String bootstrap, String topic, int sockets, int portBase) {
        Map<String, Object> p = inputProducer(bootstrap, "linger.ms", 10, "batch.size", 131072, "compression.type", "lz4");
        long n = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < sockets + 1000; i++) {
                if (i < sockets) n += send(producer, topic, event(EventType.CONNECT, i + portBase, Instant.now()));
                if (i >= 1000) n += send(producer, topic, event(EventType.CLOSE, i - 1000 + portBase, Instant.now()));
                if (i % 1000 == 0) {
                    for (int h = 0; h < HOSTS; h++) n += send(producer, topic, heartbeat("bench-host-" + h, Instant.now()));
                }
            }
            producer.flush();
        }
        return n;
    }

    static long seq;

    static TcpEvent event(EventType type, int i, Instant at) {
        return TcpEvent.newBuilder().setHost("bench-host-" + (i % HOSTS)).setAgentEpoch(1).setSeq(++seq).setType(type).setTimestamp(at)
                .setNetns(4026531833L).setFamily(Family.IPV4).setLaddr("10.0." + (i % 200) + ".1").setLport(1024 + i % 60000)
                .setRaddr("10.1.0." + (i % 250)).setRport(443).setCookie((long) i + 1).setUid(1000L)
                .setPid(type == EventType.CLOSE ? null : 1000 + i % 500).setComm(type == EventType.CLOSE ? null : "client")
                .setSource(Source.EBPF).build();
    }

    static TcpEvent heartbeat(String host, Instant at) {
        return TcpEvent.newBuilder().setHost(host).setAgentEpoch(1).setSeq(++seq).setType(EventType.HEARTBEAT).setTimestamp(at)
                .setNetns(4026531833L).setSource(Source.EBPF).build();
    }

    static int send(KafkaProducer<String, byte[]> producer, String topic, TcpEvent e) {
        String key = Keys.of(e);
        int partition = dev.conntrail.schemas.HostPartitioner.partitionFor(key, PARTITIONS);
        producer.send(new ProducerRecord<>(topic, partition, e.getTimestamp().toEpochMilli(), key, EVENTS.serializer().serialize(topic, e)));
        return 1;
    }

    /** CLOSE append -> CLOSED row visible to a read_committed reader, at a fixed input rate. */
    static void latency(String bootstrap, int rate, int seconds) throws Exception {
        String suffix = "latency";
        String in = "bench-lat-events";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(in, PARTITIONS, (short) 1), new NewTopic("bench-lat-nat", PARTITIONS, (short) 1))).all().get();
        }
        createTopics(bootstrap, "bench-lat-connections", "bench-lat-dlq");
        TopologySettings s = TopologySettings.defaults(Duration.ofSeconds(10)).withInputPartitions(PARTITIONS)
                .withTopics(new TopicNames(in, "bench-lat-nat", "bench-lat-connections", "bench-lat-dlq"));
        Path state = Files.createTempDirectory("bench-lat");
        Properties p = streamsProperties(bootstrap, "bench-latency", "exactly_once_v2", state, s);
        KafkaStreams streams = tableStreams(s, p);
        streams.start();
        List<long[]> latencies = Collections.synchronizedList(new ArrayList<>());
        List<Long> tombstonesSeen = Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> {
            Map<String, Object> c = new HashMap<>();
            c.put("bootstrap.servers", bootstrap);
            c.put("isolation.level", "read_committed");
            c.put("group.id", "bench-lat-reader");
            c.put("auto.offset.reset", "earliest");
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
                consumer.subscribe(List.of("bench-lat-connections"));
                long until = System.currentTimeMillis() + (seconds + 15) * 1000L;
                while (System.currentTimeMillis() < until) {
                    consumer.poll(Duration.ofMillis(100)).forEach(r -> {
                        long now = System.currentTimeMillis();
                        if (r.value() == null) {
                            tombstonesSeen.add(now);
                            return;
                        }
                        Connection row = CONNECTIONS.deserializer().deserialize(r.topic(), r.value());
                        if (row.getState() == ConnectionState.CLOSED && row.getClosedAt() != null) {
                            latencies.add(new long[] {row.getClosedAt().toEpochMilli(), now - row.getClosedAt().toEpochMilli()});
                        }
                    });
                }
            }
        });
        reader.start();
        Thread.sleep(3000);
        long gcCount0 = gcCount();
        long gcMs0 = gcMillis(); // let Streams and the reader join their groups
        Map<String, Object> pp = inputProducer(bootstrap, "linger.ms", 5);
        long sent = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            int i = 0;
            while (System.nanoTime() - start < seconds * 1_000_000_000L) {
                long due = start + (long) (sent * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                // half CONNECTs, half CLOSEs of sockets opened 1000 events earlier; timestamp = append time
                if (sent % 2 == 0) {
                    send(producer, in, event(EventType.CONNECT, 5_000_000 + i, Instant.now()));
                    i++;
                } else if (i > 500) {
                    send(producer, in, event(EventType.CLOSE, 5_000_000 + i - 500, Instant.now()));
                } else {
                    send(producer, in, heartbeat("bench-host-" + (i % HOSTS), Instant.now()));
                }
                sent++;
            }
        }
        long gcCount = gcCount() - gcCount0;
        long gcMs = gcMillis() - gcMs0;
        reader.join();
        streams.close(Duration.ofSeconds(30));
        deleteRecursively(state);
        List<long[]> all = new ArrayList<>(latencies);
        long first = all.stream().mapToLong(a -> a[0]).min().orElse(0);
        System.out.println();
        System.out.printf("latency CLOSE append -> CLOSED row (read_committed), %d events/s for %d s, EOS commit.interval.ms=100, load avg %.1f:%n",
                rate, seconds, loadAverage());
        for (long from = 0; from < seconds; from += 5) {
            final long lo = first + from * 1000;
            List<Long> l = all.stream().filter(a -> a[0] >= lo && a[0] < lo + 5000).map(a -> a[1]).sorted().toList();
            System.out.printf("  closes sent in second %2d-%2d: %5d rows, p50 %4d ms, p99 %4d ms, max %4d ms%n", from, from + 5, l.size(),
                    pct(l, 0.5), pct(l, 0.99), l.isEmpty() ? -1 : l.get(l.size() - 1));
        }
        if (Boolean.getBoolean("bench.latency.perSecond")) {
            // where the tail is: per second of close time, the max latency and the tombstones the reader got then
            List<Long> tombs = new ArrayList<>(tombstonesSeen);
            StringBuilder line = new StringBuilder("  per second (max ms / tombstones received):");
            for (long sec = 0; sec < seconds; sec++) {
                final long lo = first + sec * 1000;
                long max = all.stream().filter(a -> a[0] >= lo && a[0] < lo + 1000).mapToLong(a -> a[1]).max().orElse(0);
                long t = tombs.stream().filter(x -> x >= lo && x < lo + 1000).count();
                line.append(String.format(" %d:%d/%d", sec, max, t));
            }
            System.out.println(line);
        }
        System.out.printf("  GC while producing: %d collections, %d ms in total%n", gcCount, gcMs);
        List<Long> l = all.stream().map(a -> a[1]).sorted().toList();
        List<Long> warm = all.stream().filter(a -> a[0] >= first + 5000).map(a -> a[1]).sorted().toList();
        System.out.printf("  all: %d rows, p50 %d ms, p99 %d ms, max %d ms; after the first 5 s: p50 %d ms, p99 %d ms%n", l.size(),
                pct(l, 0.5), pct(l, 0.99), l.isEmpty() ? -1 : l.get(l.size() - 1), pct(warm, 0.5), pct(warm, 0.99));
    }

    static long gcCount() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(b -> Math.max(0, b.getCollectionCount())).sum();
    }

    static long gcMillis() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(b -> Math.max(0, b.getCollectionTime())).sum();
    }

    static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    static void createTopics(String bootstrap, String... names) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            List<NewTopic> topics = new ArrayList<>();
            for (String n : names) topics.add(new NewTopic(n, PARTITIONS, (short) 1));
            admin.createTopics(topics).all().get();
        }
    }

    static long pct(List<Long> sorted, double q) {
        return sorted.isEmpty() ? -1 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    /**
     * Creates {@code prefix}-events/-nat/-connections/-dlq and produces n CONNECTs (socket ids from
     * {@code firstId}, plus one heartbeat per host if asked) into {@code prefix}-events.
     * Returns the records that reached the topic.
     */
    static long openConnections(String bootstrap, String prefix, int n, int firstId, boolean heartbeats) throws Exception {
        String in = prefix + "-events";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(in, PARTITIONS, (short) 1), new NewTopic(prefix + "-nat", PARTITIONS, (short) 1))).all().get();
        }
        createTopics(bootstrap, prefix + "-connections", prefix + "-dlq");
        Map<String, Object> pp = inputProducer(bootstrap, "linger.ms", 10, "batch.size", 131072);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < n; i++) send(producer, in, event(EventType.CONNECT, firstId + i, Instant.now()));
            if (heartbeats) {
                for (int h = 0; h < HOSTS; h++) send(producer, in, heartbeat("bench-host-" + h, Instant.now()));
            }
            producer.flush();
        }
        return endOffsets(bootstrap, in);
    }

    /** Opens n connections (no close), lets the topology store them, closes it (RocksDB flushes), measures the state directory. */
    static void stateSize(String bootstrap, int n) throws Exception {
        String in = "bench-state-events";
        long events = openConnections(bootstrap, "bench-state", n, 9_000_000, true);
        TopologySettings s = TopologySettings.defaults(Duration.ofSeconds(10)).withPersistentStores(true)
                .withTopics(new TopicNames(in, "bench-state-nat", "bench-state-connections", "bench-state-dlq"));
        Path state = Files.createTempDirectory("bench-size");
        Properties p = streamsProperties(bootstrap, "bench-state", "exactly_once_v2", state, s);
        KafkaStreams streams = tableStreams(s, p);
        streams.start();
        waitCaughtUpOn(bootstrap, "bench-state", in, events);
        streams.close(Duration.ofSeconds(30));
        long rowsBytes = du(state, "rows");
        long all = du(state, "");
        System.out.println();
        System.out.printf("state on disk for %d open connections (RocksDB, after close): rows store %d bytes = %.0f B/connection; "
                + "whole state dir %d bytes = %.0f B/connection%n", n, rowsBytes, rowsBytes / (double) n, all, all / (double) n);
        deleteRecursively(state);
    }

    /**
     * In-memory mode: n open connections are processed, the topology stops, and a new instance
     * (same application id, nothing kept locally) rebuilds the rows from connections. Rows/s from
     * the restore's own timer (6 tasks, one stream thread: restored one after another).
     */
    static void restoreSpeed(String bootstrap, int n) throws Exception {
        String in = "bench-restore-events";
        long events = openConnections(bootstrap, "bench-restore", n, 12_000_000, false);
        TopologySettings s = TopologySettings.defaults(Duration.ofSeconds(10)).withInputPartitions(PARTITIONS)
                .withTopics(new TopicNames(in, "bench-restore-nat", "bench-restore-connections", "bench-restore-dlq"));
        for (int run = 0; run < 3; run++) {
            Path state = Files.createTempDirectory("bench-restore");
            Properties p = streamsProperties(bootstrap, "bench-restore", "exactly_once_v2", state, s);
            TopologyMetrics metrics = new TopologyMetrics(new SimpleMeterRegistry());
            long startedAt = System.nanoTime();
            try (KafkaRowsRestorer restorer = new KafkaRowsRestorer(p)) {
                KafkaStreams streams = new KafkaStreams(ConnectionTopology.build(s, EVENTS, NATS, CONNECTIONS, metrics, restorer, NO_JUDGEMENT), p);
                streams.start();
                if (run == 0) {
                    waitCaughtUpOn(bootstrap, "bench-restore", in, events);
                } else {
                    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
                    // one row per CONNECT that reached the input (the input producer may have lost a few: counted from the topic)
                    while (metrics.count("conntrail.topology.rows.restored") < events && System.nanoTime() < deadline) Thread.sleep(20);
                }
                double wall = (System.nanoTime() - startedAt) / 1e9;
                // leave the group, so the next instance gets the tasks at once (not after the session timeout)
                streams.close(org.apache.kafka.streams.CloseOptions.timeout(Duration.ofSeconds(30))
                        .withGroupMembershipOperation(org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
                if (run > 0) {
                    double rows = metrics.count("conntrail.topology.rows.restored");
                    double records = metrics.count("conntrail.topology.rows.restore.records");
                    double seconds = metrics.restoreSeconds();
                    System.out.printf("restore %d: %.0f rows from %.0f connections records in %.2f s of restore (6 tasks, one after another) "
                            + "= %.0f rows/s (start to all rows restored: %.2f s, group join included); load avg %.1f%n", run, rows, records,
                            seconds, rows / seconds, wall, loadAverage());
                }
            }
            deleteRecursively(state);
        }
    }

    static void waitCaughtUpOn(String bootstrap, String group, String topic, long events) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (System.nanoTime() < deadline) {
                long done = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet().stream()
                        .filter(e -> e.getKey().topic().equals(topic)).mapToLong(e -> e.getValue().offset()).sum();
                if (done >= events) return;
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException(group + " did not catch up");
    }

    static long endOffsets(String bootstrap, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int i = 0; i < PARTITIONS; i++) latest.put(new TopicPartition(topic, i), OffsetSpec.latest());
            long end = 0;
            for (ListOffsetsResult.ListOffsetsResultInfo info : admin.listOffsets(latest).all().get().values()) end += info.offset();
            return end;
        }
    }

    static long du(Path root, String storeName) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> storeName.isEmpty() || f.toString().contains("/rocksdb/" + storeName + "/"))
                    .mapToLong(f -> f.toFile().length()).sum();
        }
    }

    static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
