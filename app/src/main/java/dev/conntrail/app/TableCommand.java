package dev.conntrail.app;

import static dev.conntrail.cli.TerminalText.cell;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionEdge;
import dev.conntrail.avro.WorkloadEdge;
import dev.conntrail.avro.TcpCounters;
import dev.conntrail.cli.CountersText;
import dev.conntrail.cli.KafkaOptions;
import dev.conntrail.cli.OutputFormat;
import dev.conntrail.cli.RunOptions;
import dev.conntrail.cli.TerminalText;
import dev.conntrail.cli.UserFacingException;
import dev.conntrail.schemas.RecordJson;
import dev.conntrail.schemas.registry.RegistryConfig;
import dev.conntrail.schemas.registry.RetryingSchemaRegistry;
import dev.conntrail.schemas.serde.ConfluentAvroDeserializer;
import dev.conntrail.topology.errors.RegistryFailures;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code conntrail table}: a live view of the {@code connections} topic of any cluster. Reads every
 * partition from the beginning with {@code read_committed} and no consumer group (it commits nothing).
 * A record that is not a row (bytes that do not decode, another record type) is skipped: counted in
 * the table's header line, its partition and offset said once on stderr, and the count again at the
 * end. The schema registry is waited for as the topology does (a failing registry is retried, then
 * the command stops with one line); it never makes a record count as skipped.
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

    @Option(names = "--filter", paramLabel = "FIELD=VALUE",
            description = "Only rows whose FIELD is VALUE; FIELD is host, comm, pid, netns, state (OPEN, CLOSED), port "
                    + "(local or remote) or container (its id or the id's first digits). Repeat it: every one must hold. Applies to --format json too.")
    List<String> filters = new ArrayList<>();

    @Option(names = "--edges", description = "Show the service graph instead (a topology run with --service-graph): the counts per "
            + "pair of workloads (--service-graph-topic) and the edges, both ends of each connection (--edges-topic).")
    boolean edges;

    @Option(names = "--edges-topic", defaultValue = "connection-edges", paramLabel = "TOPIC", description = "Default: ${DEFAULT-VALUE}.")
    String edgesTopic = "connection-edges";

    @Option(names = "--service-graph-topic", defaultValue = "service-graph", paramLabel = "TOPIC", description = "Default: ${DEFAULT-VALUE}.")
    String serviceGraphTopic = "service-graph";

    /** For {@code local}: conntrail's own process, whose rows (its broker and clients) are hidden; -1 shows all. */
    long hidePid = -1;

    /** For {@code local}: the table ends when this returns true (a part it shows stopped). */
    java.util.function.BooleanSupplier stopWhen = () -> false;

    @Override
    public Integer call() throws Exception {
        if (edges) {
            return showEdges();
        }
        RowFilter shown = hidePid >= 0 ? RowFilter.of(filters).hidingPid(hidePid) : RowFilter.of(filters);
        TableView view = new TableView(shown);
        return follow(List.of(topic), "`conntrail topology`", (rec, values, skips, out) -> {
            Connection row = null;
            if (rec.value() != null) {
                row = decode(values, rec, skips);
                if (row == null) {
                    return;
                }
            }
            boolean wasShown = view.isShown(rec.key());
            view.apply(rec.key(), row);
            if (run.format == OutputFormat.json && (row == null ? wasShown : shown.test(row))) {
                out.println(row == null ? deletedJson(rec.key()) : keyedJson(rec.key(), row));
            }
        }, (skipped, live) -> {
            view.skipped = skipped;
            return view.render(maxRows, topic, live);
        });
    }

    /**
     * {@code --edges}: the service graph's two topics, read as the rows are (from the beginning, read_committed).
     * JSON prints each change as {@code {"record":"ConnectionEdge"|"WorkloadEdge","id":...,...}}, a deleted edge with
     * {@code "deleted":true}.
     */
    private int showEdges() {
        EdgesView view = new EdgesView();
        return follow(List.of(edgesTopic, serviceGraphTopic), "the topology with --service-graph", (rec, values, skips, out) -> {
            Object v = rec.value() == null ? null : decodeAny(values, rec, skips);
            if (rec.value() != null && v == null) {
                return;
            }
            if (rec.topic().equals(edgesTopic) && (v == null || v instanceof ConnectionEdge)) {
                view.edge(rec.key(), (ConnectionEdge) v);
            } else if (rec.topic().equals(serviceGraphTopic) && (v == null || v instanceof WorkloadEdge)) {
                view.workload(rec.key(), (WorkloadEdge) v);
            } else {
                skips.skipped(rec, "a " + v.getClass().getSimpleName() + " in " + rec.topic());
                return;
            }
            if (run.format == OutputFormat.json) {
                out.println(v == null ? deletedJson(rec.topic().equals(edgesTopic) ? "ConnectionEdge" : "WorkloadEdge", rec.key())
                        : keyedJson(rec.key(), (org.apache.avro.generic.IndexedRecord) v));
            }
        }, (skipped, live) -> {
            view.skipped = skipped;
            return view.render(maxRows, edgesTopic, serviceGraphTopic);
        });
    }

    /** What a view does with one record of its topics (a null value: a tombstone). */
    private interface RecordHandler {
        void handle(ConsumerRecord<String, byte[]> rec, Deserializer<Object> values, Skips skips, PrintStream out);
    }

    /** A view's text, given how many records were skipped; {@code live}: redrawn in place on a terminal. */
    private interface Frame {
        String render(long skipped, boolean live);
    }

    /**
     * Reads {@code topics} from the beginning until Ctrl-C / SIGTERM, {@code --duration} or {@link #stopWhen}, handing
     * each record to {@code handler}. The table format redraws {@code frame} twice a second on a terminal, else prints
     * it once at the end; the skipped records are summed up on stderr.
     */
    private int follow(List<String> topics, String creator, RecordHandler handler, Frame frame) {
        PrintStream out = System.out;
        boolean redraw = run.format == OutputFormat.table && System.console() != null;
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch stopped = new CountDownLatch(1);
        Deserializer<Object> values = valueDeserializer();
        Skips skips = new Skips(System.err);
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            Thread hook = stopHook(consumer, stop, stopped);
            try {
                assignAll(consumer, topics, creator);
                long deadline = run.duration == null ? Long.MAX_VALUE : System.nanoTime() + run.duration.toNanos();
                long lastDraw = 0;
                while (!stop.get() && System.nanoTime() < deadline && !stopWhen.getAsBoolean()) {
                    for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(200))) {
                        handler.handle(rec, values, skips, out);
                    }
                    if (redraw && System.nanoTime() - lastDraw > 500_000_000L) {
                        out.print("\033[H\033[2J" + frame.render(skips.count, true));
                        out.flush();
                        lastDraw = System.nanoTime();
                    }
                }
            } catch (WakeupException e) {
                // Ctrl-C / SIGTERM: fall through to a clean close
            } finally {
                if (run.format == OutputFormat.table && !redraw) {
                    out.print(frame.render(skips.count, false));
                }
                out.flush();
                skips.summary(String.join(", ", topics));
                stopped.countDown();
                if (!stop.get()) {
                    Runtime.getRuntime().removeShutdownHook(hook);
                }
            }
        }
        return 0;
    }

    /** A record's JSON with its key as {@code "id"} after the record name. */
    static String keyedJson(String id, org.apache.avro.generic.IndexedRecord value) {
        String json = RecordJson.toJson(value);
        String head = "{\"record\":\"" + value.getSchema().getName() + "\"";
        StringBuilder sb = new StringBuilder(json.length() + id.length() + 10).append(head).append(",\"id\":");
        RecordJson.string(sb, id);
        return sb.append(json, head.length(), json.length()).toString();
    }

    static String deletedJson(String recordName, String id) {
        StringBuilder sb = new StringBuilder("{\"record\":\"" + recordName + "\",\"id\":");
        RecordJson.string(sb, id);
        return sb.append(",\"deleted\":true}").toString();
    }

    /** The value a record holds, or null when it cannot be decoded (skipped, counted); a registry failure stops the command. */
    static Object decodeAny(Deserializer<Object> values, ConsumerRecord<String, byte[]> rec, Skips skips) {
        try {
            return values.deserialize(rec.topic(), rec.headers(), rec.value());
        } catch (RuntimeException e) {
            if (RegistryFailures.isRegistryFailure(e)) {
                throw new UserFacingException("cannot read " + rec.topic() + "-" + rec.partition() + "@" + rec.offset() + ": " + e.getMessage(), e);
            }
            skips.skipped(rec, String.valueOf(e.getMessage()));
            return null;
        }
    }

    static String deletedJson(String id) {
        return deletedJson("Connection", id);
    }

    /** Records of the topic that are not rows: how many, and the first of each partition said once. */
    static final class Skips {
        private final PrintStream err;
        private final java.util.Set<Integer> toldPartitions = new java.util.HashSet<>();
        long count;
        String first;

        Skips(PrintStream err) {
            this.err = err;
        }

        void skipped(ConsumerRecord<String, byte[]> rec, String why) {
            count++;
            String where = rec.topic() + "-" + rec.partition() + "@" + rec.offset();
            if (first == null) first = where;
            if (toldPartitions.add(rec.partition())) {
                err.println("conntrail table: skipping " + where + ", not a row (" + why + "); later ones of partition " + rec.partition()
                        + " are only counted");
            }
        }

        void summary(String topic) {
            if (count > 0) {
                err.println("conntrail table: skipped " + count + " records of " + topic + " that are not rows (first: " + first + ")");
            }
        }
    }

    /**
     * The row a record holds, or null when it holds none (skipped, counted). A registry failure is
     * not the record's fault: it is thrown (the command stops with one line).
     */
    static Connection decode(Deserializer<Object> values, ConsumerRecord<String, byte[]> rec, Skips skips) {
        long skippedBefore = skips.count;
        Object v = decodeAny(values, rec, skips);
        if (v instanceof Connection c) return c;
        if (skips.count == skippedBefore) { // decoded, but not a row
            skips.skipped(rec, "a " + (v == null ? "null" : v.getClass().getSimpleName()) + ", not a Connection");
        }
        return null;
    }

    private KafkaConsumer<String, byte[]> consumer() {
        Map<String, Object> props = kafka.clientProperties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // a mistyped --topic must not create one
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "conntrail-table");
        props.remove("value.deserializer");
        props.remove("key.deserializer");
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** The value deserializer: {@code value.deserializer} if given, else the serde of schemas/ with a registry client that waits out failures. */
    private Deserializer<Object> valueDeserializer() {
        Map<String, Object> props = kafka.clientProperties();
        props.put("specific.avro.reader", "true");
        String cls = String.valueOf(props.getOrDefault("value.deserializer", DEFAULT_DESERIALIZER));
        Deserializer<Object> values;
        if (cls.equals(DEFAULT_DESERIALIZER)) {
            values = new ConfluentAvroDeserializer(new RetryingSchemaRegistry(RegistryConfig.from(props).newClient(),
                    RetryingSchemaRegistry.Policy.defaults(), null));
        } else {
            values = newDeserializer(cls);
        }
        values.configure(props, false);
        return values;
    }

    @SuppressWarnings("unchecked")
    private static Deserializer<Object> newDeserializer(String className) {
        try {
            return (Deserializer<Object>) Class.forName(className).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new UserFacingException("cannot use value.deserializer " + className + ": " + e);
        }
    }

    private void assignAll(KafkaConsumer<String, byte[]> consumer, List<String> topics, String creator) {
        List<TopicPartition> parts = new ArrayList<>();
        for (String t : topics) {
            List<PartitionInfo> infos = consumer.partitionsFor(t, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new UserFacingException("topic '" + t + "' does not exist on " + kafka.bootstrapServers
                        + ": start " + creator + " (it creates it) or name the topic");
            }
            infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).collect(Collectors.toCollection(() -> parts));
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
    }

    /**
     * The table as it stands: row id → latest value, rendered newest change first. Every text of a row comes from
     * the network (a host's id, a process name any local user can choose): each is shown through
     * {@link TerminalText#cell}, so none can drive the terminal.
     */
    static final class TableView {
        private static final String DIM = "\033[2m";
        private static final String NORMAL = "\033[0m";
        private final Map<String, Connection> rows = new java.util.HashMap<>();
        private final java.util.function.Predicate<Connection> shown;
        private long changes;
        private long deletes;
        /** Records of the topic that are not rows, skipped. */
        long skipped;

        TableView() {
            this(RowFilter.all());
        }

        TableView(java.util.function.Predicate<Connection> shown) {
            this.shown = shown;
        }

        boolean isShown(String id) {
            Connection c = rows.get(id);
            return c != null && shown.test(c);
        }

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
            return render(maxRows, topic, false);
        }

        /**
         * The header and the shown rows, newest change first; a CLOSED row is marked by its STATE with the reason
         * (and dimmed when {@code ansi}: a terminal redrawn in place). AGE is how long the connection has been open,
         * or was open when it closed.
         */
        String render(int maxRows, String topic, boolean ansi) {
            List<Connection> visible = rows.values().stream().filter(shown).toList();
            long open = visible.stream().filter(c -> "OPEN".equals(String.valueOf(c.getState()))).count();
            long hidden = rows.size() - visible.size();
            Instant now = Instant.now();
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("conntrail table — %s — %d rows (%d open, %d closed)%s, %d changes, %d deletes%s, %s%n",
                    cell(topic), visible.size(), open, visible.size() - open, hidden > 0 ? ", " + hidden + " hidden" : "",
                    changes, deletes, skipped > 0 ? ", " + skipped + " skipped (not rows)" : "", now));
            sb.append(String.format("%-12s %-16s %-5s %-40s %-40s %-8s %-15s %-12s %-10s %-3s %-7s %6s %6s %4s %6s %s%n", "HOST",
                    "STATE", "DIR", "LOCAL", "REMOTE", "PID", "COMM", "CONTAINER", "NETNS", "NAT", "AGE", "SENT", "RCVD", "RETR", "RTT",
                    "UPDATED"));
            visible.stream()
                    .sorted((a, b) -> b.getUpdatedAt().compareTo(a.getUpdatedAt()))
                    .limit(maxRows)
                    .forEach(c -> {
                        boolean closed = "CLOSED".equals(String.valueOf(c.getState()));
                        sb.append(closed && ansi ? DIM : "").append(String.format(
                                "%-12.40s %-16s %-5s %-40.47s %-40.47s %-8s %-15.64s %-12.12s %-10s %-3s %-7s %6s %6s %4s %6s %s",
                                cell(c.getHost(), "-"), state(c), dir(c), endpoint(c.getLaddr(), c.getLport()),
                                endpoint(c.getRaddr(), c.getRport()), cell(c.getPid(), "-"), cell(c.getComm(), "-"),
                                cell(c.getContainer(), "-"), // 12 digits, as docker ps shows an id
                                cell(c.getNetns(), "-"), c.getNat() == null ? "-" : "yes", age(c, now),
                                CountersText.bytes(counter(c, TcpCounters::getBytesAcked)),
                                CountersText.bytes(counter(c, TcpCounters::getBytesReceived)),
                                cell(counter(c, TcpCounters::getTotalRetrans), "-"),
                                CountersText.rtt(counter(c, TcpCounters::getSrttUs)),
                                cell(c.getUpdatedAt(), "-"))).append(closed && ansi ? NORMAL : "").append(System.lineSeparator());
                    });
            if (visible.size() > maxRows) {
                sb.append(String.format("… %d more rows (--max-rows)%n", visible.size() - maxRows));
            }
            return sb.toString();
        }

        private static String state(Connection c) {
            if (!"CLOSED".equals(String.valueOf(c.getState()))) {
                return cell(c.getState(), "-");
            }
            return c.getCloseReason() == null || "CLOSED".equals(c.getCloseReason().name()) ? "x CLOSED"
                    : "x CLOSED " + c.getCloseReason().name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Open for how long (until now, or until it closed); "-" when the opening was not seen (a snapshot row). */
        static String age(Connection c, Instant now) {
            if (c.getOpenedAt() == null) {
                return "-";
            }
            Instant end = c.getClosedAt() != null ? c.getClosedAt() : now;
            long s = Math.max(0, Duration.between(c.getOpenedAt(), end).toSeconds());
            if (s < 60) {
                return s + "s";
            }
            if (s < 3600) {
                return String.format("%dm%02ds", s / 60, s % 60);
            }
            if (s < 86400) {
                return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
            }
            return String.format("%dd%02dh", s / 86400, (s % 86400) / 3600);
        }

        /** One of the row's counters (SENT: bytes the peer acknowledged), null when the row has none yet. */
        private static Long counter(Connection c, Function<TcpCounters, Long> which) {
            return c.getCounters() == null ? null : which.apply(c.getCounters());
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

    /** On SIGTERM or Ctrl-C: stops the poll loop and waits until it has closed the consumer. */
    private static Thread stopHook(KafkaConsumer<?, ?> consumer, AtomicBoolean stop, CountDownLatch stopped) {
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
        return hook;
    }
}
