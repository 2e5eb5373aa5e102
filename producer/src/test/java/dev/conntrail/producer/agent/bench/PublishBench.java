package dev.conntrail.producer.agent.bench;

import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.agent.AgentMetrics;
import dev.conntrail.producer.agent.AgentOptions;
import dev.conntrail.producer.agent.EventPublisher;
import dev.conntrail.producer.agent.LossCause;
import dev.conntrail.producer.agent.LossTracker;
import dev.conntrail.broker.EmbeddedKafkaCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Not a test: how fast the agent's publisher (one thread, as the agent runs it) gets TcpEvents into
 * Kafka (in-JVM broker on loopback, mock:// registry), per producer setting. bench/publish-bench.sh
 * runs it. Rounds alternate the variants; prints the median events/s and publisher-thread CPU per event.
 */
public final class PublishBench {
    public static void main(String[] args) throws Exception {
        int events = Integer.parseInt(args.length > 0 ? args[0] : "300000");
        int rounds = Integer.parseInt(args.length > 1 ? args[1] : "3");
        Map<String, Map<String, Object>> variants = new LinkedHashMap<>();
        variants.put("default (lz4, linger 20 ms)", Map.of());
        variants.put("no compression", Map.of("compression.type", "none"));
        variants.put("linger 5 ms", Map.of("linger.ms", 5));
        variants.put("batch 256 KiB", Map.of("batch.size", 262144));
        Map<String, List<double[]>> results = new LinkedHashMap<>();
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        try (EmbeddedKafkaCluster broker = EmbeddedKafkaCluster.start()) {
            int topicNo = 0;
            for (int r = 0; r <= rounds; r++) { // round 0 warms up
                for (Map.Entry<String, Map<String, Object>> v : variants.entrySet()) {
                    String topic = "bench-events-" + topicNo++;
                    broker.createTopics(6, topic);
                    Map<String, Object> client = new HashMap<>(broker.clientConfig());
                    client.put("schema.registry.url", "mock://bench");
                    client.putAll(v.getValue());
                    AgentOptions o = AgentOptions.defaults("bench-host", client).withTopics(topic, "unused");
                    AgentMetrics metrics = new AgentMetrics(new SimpleMeterRegistry());
                    LossTracker loss = new LossTracker(metrics, Duration.ofSeconds(10));
                    List<TcpEvent> batch = synthetic(events);
                    long c0 = cpu.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    try (EventPublisher p = new EventPublisher(o, metrics, loss)) {
                        for (TcpEvent e : batch) {
                            p.publish(e);
                        }
                        p.flush();
                    }
                    double secs = (System.nanoTime() - t0) / 1e9;
                    double cpuNsPerEvent = (double) (cpu.getCurrentThreadCpuTime() - c0) / events;
                    if (metrics.lostTotal(LossCause.SEND_FAILED) > 0) {
                        throw new IllegalStateException(v.getKey() + ": sends failed");
                    }
                    if (r > 0) {
                        results.computeIfAbsent(v.getKey(), k -> new ArrayList<>()).add(new double[] {events / secs, cpuNsPerEvent});
                    }
                    broker.deleteTopics(topic);
                }
            }
        }
        double base = median(results.values().iterator().next(), 0);
        System.out.printf("%-30s %14s %10s %18s%n", "variant", "events/s", "ratio", "CPU us/event (pub)");
        for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
            double rate = median(e.getValue(), 0);
            System.out.printf("%-30s %14.0f %10.2f %18.2f%n", e.getKey(), rate, rate / base, median(e.getValue(), 1) / 1000);
        }
    }

    private static double median(List<double[]> xs, int i) {
        double[] v = xs.stream().mapToDouble(x -> x[i]).sorted().toArray();
        return v[v.length / 2];
    }

    /** Events like the tracer's: loopback tuples, varying ports, cookies, pids. */
    private static List<TcpEvent> synthetic(int n) {
        List<TcpEvent> out = new ArrayList<>(n);
        long t = Instant.now().toEpochMilli() * 1000;
        EventType[] types = {EventType.CONNECT, EventType.ACCEPT, EventType.CLOSE};
        for (int i = 0; i < n; i++) {
            out.add(TcpEvent.newBuilder().setHost("bench-host").setAgentEpoch(1).setSeq(0).setType(types[i % 3])
                    .setTimestamp(Instant.ofEpochSecond(0, (t + i) * 1000)).setPid(1000 + i % 500).setTid(1000 + i % 500)
                    .setComm(i % 3 == 2 ? null : "churn").setUid(0L).setCgroupId(1234L).setNetns(4026531840L).setFamily(Family.IPV4)
                    .setLaddr("127.0.0.1").setLport(20000 + i % 40000).setRaddr("127.0.0.1").setRport(8080)
                    .setCookie(100_000L + i / 3).setDirection(i % 3 == 1 ? Direction.INCOMING : Direction.OUTGOING)
                    .setSource(Source.EBPF).build());
        }
        return out;
    }
}
