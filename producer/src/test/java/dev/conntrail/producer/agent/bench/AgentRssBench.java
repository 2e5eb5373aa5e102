package dev.conntrail.producer.agent.bench;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.broker.EmbeddedKafkaCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Not a test: the agent's resident memory on a host with many open connections. Starts the in-JVM broker, then the
 * agent as its own JVM ({@code java <deploy/agent-jvm-opts> -jar conntrail.jar producer}, eBPF on), reads its
 * {@code tcp-events} until the start-up snapshot's SNAPSHOT_END, and samples the agent's VmRSS / VmHWM
 * ({@code /proc/<pid>/status}) once a second until {@code WATCH_SECONDS} after it. bench/agent-rss-bench.sh sets up
 * the connections and runs it. Needs root (eBPF).
 * <p>
 * Usage: {@code AgentRssBench JAR JVM_OPTS_FILE WATCH_SECONDS}; with {@code NMT} set in the environment, the agent runs with
 * native memory tracking and its summary and {@code smaps_rollup} are printed at the end.
 */
public final class AgentRssBench {
    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]);
        List<String> jvmOpts = List.of(Files.readString(Path.of(args[1])).trim().split("\\s+"));
        int watchSeconds = Integer.parseInt(args[2]);
        String host = "rss-bench";
        try (EmbeddedKafkaCluster broker = EmbeddedKafkaCluster.start()) {
            broker.createTopics(6, "tcp-events", "conntrack-nat");
            BenchTopics.awaitWritable(broker, "tcp-events", 6);
            BenchTopics.awaitWritable(broker, "conntrack-nat", 6);
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(jvmOpts);
            boolean nmt = System.getenv("NMT") != null; // where the memory goes: the JVM's native memory tracking, printed at the end
            if (nmt) cmd.add("-XX:NativeMemoryTracking=summary");
            cmd.addAll(List.of("-jar", jar.toString(), "producer", "--bootstrap-servers", broker.bootstrapServers(), "--schema-registry-url",
                    "mock://rss-bench", "--host-id", host, "--conntrack-netns", "off", "--metrics-port", "-1"));
            Path log = Files.createTempFile("conntrail-rss-agent", ".log");
            Process agent = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            System.err.println("agent pid " + agent.pid() + ", log " + log);
            try {
                run(broker, agent, watchSeconds, log);
                if (nmt) {
                    Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(agent.pid()),
                            "VM.native_memory", "summary").redirectErrorStream(true).start();
                    System.out.println(new String(jcmd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
                    Files.readAllLines(Path.of("/proc", Long.toString(agent.pid()), "smaps_rollup")).forEach(System.out::println);
                }
            } finally {
                agent.destroy();
                if (!agent.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) agent.destroyForcibly();
            }
        }
    }

    private static void run(EmbeddedKafkaCluster broker, Process agent, int watchSeconds, Path log) throws Exception {
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        config.put("group.id", "rss-bench");
        config.put("auto.offset.reset", "earliest");
        // generic: the generated classes are not trusted by Avro outside the serde (GeneratedClassTrust)
        GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(TcpEvent.getClassSchema());
        BinaryDecoder decoder = null;
        long start = System.nanoTime();
        long snapshotRecords = 0;
        long otherRecords = 0;
        double snapshotSeconds = -1;
        long rssAtSnapshotEnd = -1;
        long lastSample = 0;
        long rss = 0;
        long hwm = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos(); // the snapshot must come within this
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of("tcp-events"));
            while (true) {
                if (!agent.isAlive()) throw new IllegalStateException("the agent exited (" + agent.exitValue() + "); its log: " + log);
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    byte[] v = r.value();
                    if (v == null || v.length < 5) continue;
                    decoder = DecoderFactory.get().binaryDecoder(v, 5, v.length - 5, decoder); // after the Confluent header
                    String type = reader.read(null, decoder).get("type").toString();
                    if (type.equals(EventType.SNAPSHOT.name())) {
                        snapshotRecords++;
                    } else if (type.equals(EventType.SNAPSHOT_END.name()) && snapshotSeconds < 0) {
                        snapshotSeconds = (System.nanoTime() - start) / 1e9;
                        rssAtSnapshotEnd = status(agent.pid(), "VmRSS");
                        deadline = System.nanoTime() + Duration.ofSeconds(watchSeconds).toNanos();
                    } else {
                        otherRecords++;
                    }
                }
                long now = System.nanoTime();
                if (now - lastSample >= 1_000_000_000L) {
                    lastSample = now;
                    rss = status(agent.pid(), "VmRSS");
                    hwm = status(agent.pid(), "VmHWM");
                    System.err.printf("%5.0f s  agent VmRSS %4d MiB  VmHWM %4d MiB  SNAPSHOT records %,d%s%n", (now - start) / 1e9, rss >> 10,
                            hwm >> 10, snapshotRecords, snapshotSeconds < 0 ? "" : "  (snapshot done)");
                }
                if (now > deadline) break;
            }
        }
        if (snapshotSeconds < 0) throw new IllegalStateException("no SNAPSHOT_END within 10 minutes; the agent's log: " + log);
        System.out.println("| SNAPSHOT records | start → SNAPSHOT_END read | VmRSS at SNAPSHOT_END | VmRSS " + watchSeconds
                + " s later | VmHWM (peak) | other records |");
        System.out.println("|---|---|---|---|---|---|");
        System.out.printf("| %,d | %.1f s | %d MiB | %d MiB | %d MiB | %,d |%n", snapshotRecords, snapshotSeconds, rssAtSnapshotEnd >> 10, rss >> 10,
                hwm >> 10, otherRecords);
    }

    /** A kB field of /proc/PID/status. */
    private static long status(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
        }
        return -1;
    }
}
