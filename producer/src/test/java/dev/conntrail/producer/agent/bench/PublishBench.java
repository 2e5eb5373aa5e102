package dev.conntrail.producer.agent.bench;

import dev.conntrail.avro.TcpEvent;
import dev.conntrail.broker.EmbeddedKafkaCluster;
import dev.conntrail.producer.agent.AgentMetrics;
import dev.conntrail.producer.agent.AgentOptions;
import dev.conntrail.producer.agent.EventPublisher;
import dev.conntrail.producer.agent.LossCause;
import dev.conntrail.producer.agent.LossTracker;
import dev.conntrail.producer.bpf.decode.ClockSync;
import dev.conntrail.producer.bpf.decode.EventDecoder;
import dev.conntrail.producer.bpf.layout.CtEventLayout;
import dev.conntrail.schemas.Keys;
import dev.conntrail.schemas.serde.ConfluentAvroSerializer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.tools.ProducerPerformance;

/**
 * Not a test: the agent's publish path side by side with Kafka's own {@code kafka-producer-perf-test}
 * ({@link ProducerPerformance}) on the same in-JVM broker, in one run, rounds alternating.
 * <p>
 * The agent path starts where the ring buffer hands a record over: each {@code struct ct_event} is
 * decoded ({@link EventDecoder}) and published ({@link EventPublisher}: seq, key, Confluent-wire Avro,
 * {@code HostPartitioner}, idempotent, acks=all), then flushed; publisher created and closed inside the
 * timing. The peer sends the same number of records of the agent's mean record size (key + value) to a
 * one-partition topic (one host's records all go to one partition) with the agent's producer settings,
 * created and closed inside the timing too. Its payload is random letters (the tool's), which compress
 * differently from Avro records: hence the pair without compression as well.
 * Printed: median records/s, the ratio to the peer with the same compression in each round and its median, calling-thread
 * CPU per record.
 * bench/publish-bench.sh runs it.
 */
public final class PublishBench {
    private static final int DISTINCT_RECORDS = 4096;

    private interface Variant {
        /** Runs once; returns {records/s, calling thread CPU ns per record}. */
        double[] run(EmbeddedKafkaCluster broker, String topic, int records) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int records = Integer.parseInt(args.length > 0 ? args[0] : "300000");
        int rounds = Integer.parseInt(args.length > 1 ? args[1] : "3");
        byte[][] ring = ringRecords(DISTINCT_RECORDS);
        int recordSize = meanRecordSize(ring);
        System.out.printf("records per run %d, rounds %d (+1 warm-up), agent's mean record %d bytes (key + value)%n", records, rounds, recordSize);
        Map<String, Variant> variants = new LinkedHashMap<>();
        for (String compression : List.of("lz4", "none")) {
            variants.put("agent: decode + publish, " + compression, (broker, topic, n) -> agentPath(broker, topic, n, ring, compression));
            variants.put("kafka-producer-perf-test, " + compression, (broker, topic, n) -> perfTest(broker, topic, n, recordSize, compression));
        }
        Map<String, List<double[]>> results = new LinkedHashMap<>();
        try (EmbeddedKafkaCluster broker = EmbeddedKafkaCluster.start()) {
            int topicNo = 0;
            for (int r = 0; r <= rounds; r++) { // round 0 warms up
                for (Map.Entry<String, Variant> v : variants.entrySet()) {
                    String topic = "bench-publish-" + topicNo++;
                    int partitions = v.getKey().startsWith("agent") ? 6 : 1;
                    broker.createTopics(partitions, topic);
                    BenchTopics.awaitWritable(broker, topic, partitions);
                    double[] result = v.getValue().run(broker, topic, records);
                    System.out.printf("round %d  %-36s %10.0f records/s %8.2f us CPU/record%n", r, v.getKey(), result[0], result[1] / 1000);
                    if (r > 0) results.computeIfAbsent(v.getKey(), k -> new ArrayList<>()).add(result);
                    broker.deleteTopics(topic);
                }
            }
        }
        System.out.println();
        System.out.println("| variant | median records/s | ratio to kafka-producer-perf-test with the same compression, per round | median ratio | calling thread CPU µs/record |");
        System.out.println("|---|---|---|---|---|");
        for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
            String compression = e.getKey().substring(e.getKey().lastIndexOf(", ") + 2);
            List<double[]> peer = results.get("kafka-producer-perf-test, " + compression);
            List<double[]> ratios = new ArrayList<>();
            StringBuilder perRound = new StringBuilder();
            for (int r = 0; r < e.getValue().size(); r++) {
                double ratio = e.getValue().get(r)[0] / peer.get(r)[0];
                ratios.add(new double[] {ratio});
                perRound.append(r == 0 ? "" : " / ").append(String.format("%.2f", ratio));
            }
            System.out.printf("| %s | %.0f | %s | %.2f | %.2f |%n", e.getKey(), median(e.getValue(), 0), perRound, median(ratios, 0),
                    median(e.getValue(), 1) / 1000);
        }
    }

    private static double[] agentPath(EmbeddedKafkaCluster broker, String topic, int n, byte[][] ring, String compression) {
        Map<String, Object> client = new HashMap<>(broker.clientConfig());
        client.put("schema.registry.url", "mock://bench");
        client.put("compression.type", compression);
        AgentOptions o = AgentOptions.defaults("bench-host", client).withTopics(topic, "unused");
        AgentMetrics metrics = new AgentMetrics(new SimpleMeterRegistry());
        LossTracker loss = new LossTracker(metrics, Duration.ofSeconds(10));
        EventDecoder decoder = new EventDecoder("bench-host", 1, new ClockSync());
        ByteBuffer[] views = new ByteBuffer[ring.length];
        for (int i = 0; i < ring.length; i++) views[i] = ByteBuffer.wrap(ring[i]).order(ByteOrder.LITTLE_ENDIAN);
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        long c0 = cpu.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        try (EventPublisher p = new EventPublisher(o, metrics, loss)) {
            for (int i = 0; i < n; i++) {
                ByteBuffer b = views[i % views.length];
                b.putLong(CtEventLayout.COOKIE, 1_000_000L + i); // every record its own socket, as in a churn
                p.publish(decoder.decode(b, 0, CtEventLayout.SIZE));
            }
            p.flush();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpuNs = (double) (cpu.getCurrentThreadCpuTime() - c0) / n;
        if (metrics.lostTotal(LossCause.SEND_FAILED) > 0) throw new IllegalStateException("agent path: sends failed");
        return new double[] {n / secs, cpuNs};
    }

    private static final Pattern SENT = Pattern.compile("(\\d+) records sent, ([0-9.]+) records/sec");

    private static double[] perfTest(EmbeddedKafkaCluster broker, String topic, int n, int recordSize, String compression) throws Exception {
        String bootstrap = String.valueOf(broker.clientConfig().get("bootstrap.servers"));
        String[] args = {"--topic", topic, "--num-records", String.valueOf(n), "--record-size", String.valueOf(recordSize), "--throughput", "-1",
                "--bootstrap-server", bootstrap, "--command-property", "acks=all", "enable.idempotence=true", "linger.ms=20",
                "compression.type=" + compression, "client.id=bench-perf-test"};
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        long c0 = cpu.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            ProducerPerformance.main(args);
        } finally {
            System.setOut(out);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpuNs = (double) (cpu.getCurrentThreadCpuTime() - c0) / n;
        Matcher m = SENT.matcher(captured.toString(StandardCharsets.UTF_8));
        long sent = -1;
        while (m.find()) sent = Long.parseLong(m.group(1)); // the last line is the total
        if (sent != n) throw new IllegalStateException("kafka-producer-perf-test sent " + sent + " of " + n + ": " + captured);
        return new double[] {n / secs, cpuNs};
    }

    /** The agent's mean record on the wire before compression: key (connection id) + value (Confluent-wire Avro). */
    private static int meanRecordSize(byte[][] ring) {
        EventDecoder decoder = new EventDecoder("bench-host", 1, new ClockSync());
        try (ConfluentAvroSerializer values = new ConfluentAvroSerializer()) {
            values.configure(Map.of("schema.registry.url", "mock://bench-size"), false);
            long bytes = 0;
            for (byte[] r : ring) {
                TcpEvent e = decoder.decode(ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN), 0, r.length);
                e.setSeq(1_000_000);
                bytes += Keys.of(e).getBytes(StandardCharsets.UTF_8).length + values.serialize("bench", e).length;
            }
            return (int) Math.round((double) bytes / ring.length);
        }
    }

    /** Kernel records as a churn makes them: CONNECT, ACCEPT and CLOSE of loopback sockets, IPv4 and IPv6. */
    private static byte[][] ringRecords(int n) {
        byte[][] samples = EventDecoder.sampleRecords();
        byte[][] out = new byte[n][];
        for (int i = 0; i < n; i++) {
            ByteBuffer b = ByteBuffer.wrap(samples[i % samples.length].clone()).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(CtEventLayout.TS_NS, 1_000_000_000L + i * 1000L);
            b.putShort(CtEventLayout.LPORT, (short) (20000 + i % 40000));
            b.putInt(CtEventLayout.PID, 1000 + i % 500);
            b.putInt(CtEventLayout.TID, 1000 + i % 500);
            out[i] = b.array();
        }
        return out;
    }

    private static double median(List<double[]> xs, int i) {
        double[] v = xs.stream().mapToDouble(x -> x[i]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2; // an even count: the mean of the middle two
    }
}
