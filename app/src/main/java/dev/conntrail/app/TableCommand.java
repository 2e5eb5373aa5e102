package dev.conntrail.app;

import static dev.conntrail.cli.TerminalText.cell;

import dev.conntrail.avro.Connection;
import dev.conntrail.cli.KafkaOptions;
import dev.conntrail.cli.OutputFormat;
import dev.conntrail.cli.RunOptions;
import dev.conntrail.cli.TerminalText;
import dev.conntrail.cli.UserFacingException;
import dev.conntrail.schemas.RecordJson;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code conntrail table}: a live view of the {@code connections} topic of any cluster. Reads every
 * partition from the beginning with {@code read_committed} and no consumer group (it commits nothing).
 */
@Command(name = "table", mixinStandardHelpOptions = true,
        description = {"A live view of the connections topic of any cluster.",
                "Table format redraws in place; --format json prints one line per row change, and a deleted row as "
                        + "{\"record\":\"Connection\",\"id\":...,\"deleted\":true}."})
public final class TableCommand implements Callable<Integer> {
    static final String DEFAULT_DESERIALIZER = "dev.conntrail.schemas.serde.ConfluentAvroDeserializer";

    @Mixin
    RunOptions run;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--topic", defaultValue = "connections", paramLabel = "TOPIC",
            description = "The connections topic. Default: ${DEFAULT-VALUE}.")
    String topic;

    @Option(names = "--max-rows", defaultValue = "40", paramLabel = "N",
            description = "Rows shown in table format (the newest changes first). Default: ${DEFAULT-VALUE}.")
    int maxRows;

    /** For {@code local}: the table ends when this returns true (a part it shows stopped). */
    java.util.function.BooleanSupplier stopWhen = () -> false;

    @Override
    public Integer call() throws Exception {
        TableView view = new TableView();
        PrintStream out = System.out;
        boolean redraw = run.format == OutputFormat.table && System.console() != null;
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch stopped = new CountDownLatch(1);
        try (KafkaConsumer<String, Object> consumer = consumer()) {
            Thread hook = new Thread(() -> {
                stop.set(true);
                consumer.wakeup();
                try {
                    stopped.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "conntrail-table-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                assignAll(consumer);
                long deadline = run.duration == null ? Long.MAX_VALUE : System.nanoTime() + run.duration.toNanos();
                long lastDraw = 0;
                while (!stop.get() && System.nanoTime() < deadline && !stopWhen.getAsBoolean()) {
                    for (ConsumerRecord<String, Object> rec : consumer.poll(Duration.ofMillis(200))) {
                        Connection row = rec.value() == null ? null : (Connection) rec.value();
                        view.apply(rec.key(), row);
                        if (run.format == OutputFormat.json) {
                            out.println(row == null ? deletedJson(rec.key()) : rowJson(rec.key(), row));
                        }
                    }
                    if (redraw && System.nanoTime() - lastDraw > 500_000_000L) {
                        out.print("\033[H\033[2J" + view.render(maxRows, topic));
                        out.flush();
                        lastDraw = System.nanoTime();
                    }
                }
            } catch (WakeupException e) {
                // Ctrl-C / SIGTERM: fall through to a clean close
            } finally {
                if (run.format == OutputFormat.table && !redraw) {
                    out.print(view.render(maxRows, topic));
                }
                out.flush();
                stopped.countDown();
                if (!stop.get()) {
                    Runtime.getRuntime().removeShutdownHook(hook);
                }
            }
        }
        return 0;
    }

    static String rowJson(String id, Connection row) {
        String json = RecordJson.toJson(row);
        StringBuilder sb = new StringBuilder(json.length() + id.length() + 10);
        sb.append("{\"record\":\"Connection\",\"id\":");
        RecordJson.string(sb, id);
        return sb.append(json, "{\"record\":\"Connection\"".length(), json.length()).toString();
    }

    static String deletedJson(String id) {
        StringBuilder sb = new StringBuilder("{\"record\":\"Connection\",\"id\":");
        RecordJson.string(sb, id);
        return sb.append(",\"deleted\":true}").toString();
    }

    private KafkaConsumer<String, Object> consumer() {
        Map<String, Object> props = kafka.clientProperties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // a mistyped --topic must not create one
        props.put("specific.avro.reader", "true");
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "conntrail-table");
        Deserializer<Object> values = newDeserializer(String.valueOf(props.getOrDefault("value.deserializer",
                DEFAULT_DESERIALIZER)));
        values.configure(props, false);
        return new KafkaConsumer<>(props, new StringDeserializer(), values);
    }

    @SuppressWarnings("unchecked")
    private static Deserializer<Object> newDeserializer(String className) {
        try {
            return (Deserializer<Object>) Class.forName(className).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new UserFacingException("cannot use value.deserializer " + className + ": " + e);
        }
    }

    private void assignAll(KafkaConsumer<String, Object> consumer) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
            throw new UserFacingException("topic '" + topic + "' does not exist on " + kafka.bootstrapServers
                    + ": start `conntrail topology` (it creates it) or pass --topic");
        }
        List<TopicPartition> parts = infos.stream().map(p -> new TopicPartition(p.topic(), p.partition()))
                .collect(Collectors.toCollection(ArrayList::new));
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
    }

    /**
     * The table as it stands: row id → latest value, rendered newest change first. Every text of a row comes from
     * the network (a host's id, a process name any local user can choose): each is shown through
     * {@link TerminalText#cell}, so none can drive the terminal.
     */
    static final class TableView {
        private final Map<String, Connection> rows = new java.util.HashMap<>();
        private long changes;
        private long deletes;

        void apply(String id, Connection row) {
            changes++;
            if (row == null) {
                deletes++;
                rows.remove(id);
            } else {
                rows.put(id, row);
            }
        }

        int size() {
            return rows.size();
        }

        String render(int maxRows, String topic) {
            long open = rows.values().stream().filter(c -> "OPEN".equals(String.valueOf(c.getState()))).count();
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("conntrail table — %s — %d rows (%d open, %d closed), %d changes, %d deletes, %s%n",
                    cell(topic), rows.size(), open, rows.size() - open, changes, deletes, Instant.now()));
            sb.append(String.format("%-12s %-6s %-5s %-40s %-40s %-8s %-15s %-7s %s%n", "HOST", "STATE", "DIR",
                    "LOCAL", "REMOTE", "PID", "COMM", "NAT", "UPDATED"));
            rows.values().stream()
                    .sorted((a, b) -> b.getUpdatedAt().compareTo(a.getUpdatedAt()))
                    .limit(maxRows)
                    .forEach(c -> sb.append(String.format("%-12s %-6s %-5s %-40s %-40s %-8s %-15s %-7s %s%n",
                            cell(c.getHost(), "-"), cell(c.getState(), "-"), dir(c), endpoint(c.getLaddr(), c.getLport()),
                            endpoint(c.getRaddr(), c.getRport()), cell(c.getPid(), "-"), cell(c.getComm(), "-"),
                            c.getNat() == null ? "-" : "yes", cell(c.getUpdatedAt(), "-"))));
            if (rows.size() > maxRows) {
                sb.append(String.format("… %d more rows (--max-rows)%n", rows.size() - maxRows));
            }
            return sb.toString();
        }

        private static String dir(Connection c) {
            return c.getDirection() == null ? "-" : switch (c.getDirection()) {
                case OUTGOING -> "out";
                case INCOMING -> "in";
                default -> "?";
            };
        }

        private static String endpoint(String addr, Integer port) {
            if (addr == null) {
                return "-";
            }
            String a = addr.indexOf(':') >= 0 ? "[" + cell(addr) + "]" : cell(addr);
            return a + ":" + (port == null ? "?" : port);
        }
    }
}
