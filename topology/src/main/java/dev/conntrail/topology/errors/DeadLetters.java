package dev.conntrail.topology.errors;

import dev.conntrail.schemas.registry.UnknownSchemaIdException;
import dev.conntrail.schemas.serde.MalformedRecordException;
import dev.conntrail.schemas.serde.UnknownMagicByteException;
import dev.conntrail.topology.metrics.TopologyMetrics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;

/**
 * The dead letters of the three exception handlers: the original key and value of the input record,
 * Kafka Streams' error headers ({@code __streams.errors.exception}, {@code .message},
 * {@code .stacktrace}, {@code .topic}, {@code .partition}, {@code .offset}) and conntrail's
 * {@code conntrail.error.reason} (a short code). A value longer than the dead-letter topic can take
 * is cut to {@link #maxValueBytes} and the header {@code conntrail.error.value-bytes} gives its
 * original length, so the dead letter itself is never refused.
 */
public final class DeadLetters {
    public static final String REASON_HEADER = "conntrail.error.reason";
    public static final String VALUE_BYTES_HEADER = "conntrail.error.value-bytes";
    /** Handler configuration: the {@link DeadLetters} of the application (one per {@code TopologyApp}). */
    public static final String CONFIG = "conntrail.topology.dead-letters";
    private static final int STACKTRACE_MAX_CHARS = 4096;
    private static final int MESSAGE_MAX_CHARS = 1024;
    private static final long LOG_EVERY_NANOS = 1_000_000_000L;

    private final String topic;
    private final TopologyMetrics metrics;
    private final SinkLimit sinkLimit;
    /** The longest value a dead letter carries; lowered when the dead-letter topic refuses one. */
    private final AtomicInteger maxValueBytes;
    private final Map<String, AtomicLong> lastLog = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> suppressed = new ConcurrentHashMap<>();

    /**
     * @param topic         the dead-letter topic
     * @param maxValueBytes the longest value it takes (its {@code max.message.bytes} and the producer's
     *                      {@code max.request.size}, less room for key and headers)
     */
    public DeadLetters(String topic, TopologyMetrics metrics, SinkLimit sinkLimit, int maxValueBytes) {
        this.topic = topic;
        this.metrics = metrics;
        this.sinkLimit = sinkLimit;
        this.maxValueBytes = new AtomicInteger(maxValueBytes);
    }

    /** The handlers' view of the application's dead letters, from their configuration. */
    static DeadLetters from(Map<String, ?> configs) {
        Object d = configs.get(CONFIG);
        if (d instanceof DeadLetters letters) return letters;
        Object m = configs.get(DeadLetterDeserializationHandler.METRICS_CONFIG);
        Object t = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        return new DeadLetters(t == null ? null : String.valueOf(t), m instanceof TopologyMetrics tm ? tm : null, SinkLimit.unlimited(),
                512 * 1024);
    }

    public String topic() {
        return topic;
    }

    public TopologyMetrics metrics() {
        return metrics;
    }

    public SinkLimit sinkLimit() {
        return sinkLimit;
    }

    public int maxValueBytes() {
        return maxValueBytes.get();
    }

    /** The dead-letter topic refused a dead letter of {@code bytes}: later ones are cut shorter. */
    void refused(int valueBytes, long nowMillis) {
        maxValueBytes.updateAndGet(m -> Math.min(m, Math.max(1024, valueBytes / 2)));
        sinkLimit.refusedOther(nowMillis);
    }

    /** The reason code of an input failure: the rejection's own, else one from the kind of exception. */
    static String reasonOf(Exception e) {
        InputRejectedException rejected = RegistryFailures.find(e, InputRejectedException.class);
        if (rejected != null) return rejected.reason();
        if (RegistryFailures.find(e, UnknownMagicByteException.class) != null) return "bad-magic-byte";
        if (RegistryFailures.find(e, UnknownSchemaIdException.class) != null) return "unknown-schema-id";
        if (RegistryFailures.find(e, MalformedRecordException.class) != null) return "malformed";
        if (RegistryFailures.find(e, IllegalArgumentException.class) != null) return "contract";
        return "error";
    }

    /** The dead letter of the input record in {@code context}; none when no dead-letter topic is set. */
    List<ProducerRecord<byte[], byte[]>> of(ErrorHandlerContext context, Exception e, String reason) {
        if (topic == null) return List.of();
        byte[] value = context.sourceRawValue();
        Headers headers = new RecordHeaders();
        headers.add("__streams.errors.exception", bytes(e.getClass().getName()));
        headers.add("__streams.errors.message", bytes(cut(String.valueOf(e.getMessage()), MESSAGE_MAX_CHARS)));
        headers.add("__streams.errors.stacktrace", bytes(stackTrace(e)));
        headers.add("__streams.errors.topic", bytes(String.valueOf(context.topic())));
        headers.add("__streams.errors.partition", bytes(Integer.toString(context.partition())));
        headers.add("__streams.errors.offset", bytes(Long.toString(context.offset())));
        headers.add(REASON_HEADER, bytes(reason));
        int max = maxValueBytes.get();
        if (value != null && value.length > max) {
            headers.add(VALUE_BYTES_HEADER, bytes(Integer.toString(value.length)));
            value = Arrays.copyOf(value, max);
        }
        return List.of(new ProducerRecord<>(topic, null, context.sourceRawKey(), value, headers));
    }

    /**
     * One log line per reason per second at most (a flood of poison records does not flood the log);
     * the lines in between are counted and the next line says how many.
     */
    void log(Logger log, String stage, ErrorHandlerContext context, String reason, Exception e) {
        String key = stage + "/" + reason;
        long now = System.nanoTime();
        AtomicLong last = lastLog.computeIfAbsent(key, k -> new AtomicLong(now - LOG_EVERY_NANOS));
        long was = last.get();
        if (now - was >= LOG_EVERY_NANOS && last.compareAndSet(was, now)) {
            long more = suppressed.computeIfAbsent(key, k -> new AtomicLong()).getAndSet(0);
            log.warn("dead-lettered {}-{}@{} ({}: {}): {}{}", context.topic(), context.partition(), context.offset(), stage, reason,
                    e.getMessage(), more > 0 ? " (and " + more + " more of this reason since the last line)" : "");
        } else {
            suppressed.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String stackTrace(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return cut(w.toString(), STACKTRACE_MAX_CHARS);
    }

    private static String cut(String s, int max) {
        return s.length() > max ? s.substring(0, max) + "…" : s;
    }
}
