package dev.conntrail.producer.agent;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.ns.NetnsFilter;
import dev.conntrail.schemas.HostPartitioner;
import dev.conntrail.schemas.HostProducerConfig;
import dev.conntrail.schemas.Keys;
import dev.conntrail.schemas.serde.ConfluentAvroSerializer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The one idempotent Kafka producer of the agent ({@code acks=all}, {@code enable.idempotence},
 * {@link HostPartitioner}, string keys per {@link Keys}, Confluent-wire Avro values). {@code seq} is
 * assigned here, under the same lock as the send, so it strictly increases in publish order. A send
 * that fails (after {@code delivery.timeout.ms}) is counted as loss and asks for a resync; a send to a topic that
 * is missing says so. How long sends have been failing is what {@code /healthz} reports ({@link #failingNanos}).
 * One acknowledged more than a window after it was sent, with nothing acknowledged meanwhile, is a publish stall
 * ({@link PublishStalls}), which asks for a resync too.
 * <p>Kafka's producer client has no {@code allow.auto.create.topics} (only the consumer has): its metadata requests
 * always ask the broker to create a missing topic. So a topic deleted while the agent runs stays deleted only on
 * brokers with {@code auto.create.topics.enable=false}; {@link TopicWaiter} warns at start when the broker has it on.
 * <p>{@code clockOffset} (test only, zero in production) shifts every time it publishes, as a host clock that is
 * off by that much would.
 */
public final class EventPublisher implements AutoCloseable {
    private final KafkaProducer<String, Object> producer;
    private final String eventsTopic;
    private final String natTopic;
    private final AgentMetrics metrics;
    private final LossTracker loss;
    private final PublishStalls stalls;
    private final long clockOffsetMicros;
    private final NetnsFilter watched;
    private long seq;
    /** Send time of the oldest failed send since the last acknowledged one; {@link #NONE} while sends succeed. */
    private final AtomicLong failingSince = new AtomicLong(NONE);
    private volatile String lastFailure;
    private static final long NONE = Long.MIN_VALUE;
    /** The Kafka client's buffer.memory unless the user sets it: what one send() may get ahead of the acknowledgements. */
    static final long BUFFER_MEMORY = 4L << 20;

    public EventPublisher(AgentOptions options, AgentMetrics metrics, LossTracker loss) {
        this.eventsTopic = options.eventsTopic();
        this.natTopic = options.natTopic();
        this.metrics = metrics;
        this.loss = loss;
        this.stalls = new PublishStalls(options.window().toNanos(), metrics);
        this.clockOffsetMicros = options.clockOffset().toNanos() / 1000;
        this.watched = options.netns();
        Map<String, Object> props = producerProperties(options.clientProperties(), options.window());
        Serializer<Object> values = new ConfluentAvroSerializer();
        values.configure(props, false);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), values);
    }

    /** The user's client settings plus what the contract fixes (these win), {@link HostProducerConfig}. */
    static Map<String, Object> producerProperties(Map<String, Object> client) {
        return producerProperties(client, null);
    }

    /**
     * As {@link #producerProperties(Map)}, with defaults derived from the window W (when not null) so that a
     * partition from the broker is noticed, and left, within about a window: a request unanswered for W closes the
     * connection (the client's default, 30 s, leaves it to TCP's retransmission backoff, which after a 10 s
     * outage took up to 4.4 s more to resume), and each attempt to connect again lasts at most W, so after the
     * partition heals the next attempt comes within about a second or two. Design rule 5 (convergence): the
     * resync after the stall can only start once records flow again.
     */
    static Map<String, Object> producerProperties(Map<String, Object> client, Duration window) {
        Map<String, Object> props = HostProducerConfig.of(client, "conntrail-producer");
        if (window != null) {
            long w = window.toMillis();
            props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(1000, Math.min(w, 30_000)));
            props.putIfAbsent(ProducerConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, Math.max(1000, Math.min(w, 10_000)));
            props.putIfAbsent(ProducerConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, Math.max(1000, Math.min(w, 30_000)));
        }
        // the client's default (32 MiB) holds a whole snapshot of 200,000 sockets and, per unacknowledged record, ~200
        // bytes of its own objects on the heap; a smaller buffer makes send() wait for acknowledgements instead
        props.putIfAbsent(ProducerConfig.BUFFER_MEMORY_CONFIG, BUFFER_MEMORY);
        return props;
    }

    /**
     * Publishes one tcp-events record: assigns the next seq, keys it per the contract. A socket's event of a namespace
     * {@code --netns} does not name is left out (before a seq is assigned); the host's own records always go.
     */
    public void publish(TcpEvent event) {
        if (!watched.watchesAll() && isSocketEvent(event.getType()) && !watched.admits(event.getNetns())) {
            metrics.notWatched();
            return;
        }
        synchronized (this) {
            event.setSeq(++seq);
            if (clockOffsetMicros != 0) event.setTimestamp(event.getTimestamp().plus(clockOffsetMicros, java.time.temporal.ChronoUnit.MICROS));
            send(eventsTopic, Keys.of(event), event, event.getTimestamp().toEpochMilli(), false);
        }
    }

    private static boolean isSocketEvent(EventType type) {
        return type != EventType.HEARTBEAT && type != EventType.SNAPSHOT_END;
    }

    /** Publishes a NAT entry under its key; an entry of a namespace {@code --netns} does not name is left out. */
    public void publishNat(NatEntry entry) {
        if (!watched.admits(entry.getNetns())) {
            metrics.notWatched();
            return;
        }
        if (clockOffsetMicros != 0) entry.setTimestamp(entry.getTimestamp().plus(clockOffsetMicros, java.time.temporal.ChronoUnit.MICROS));
        send(natTopic, Keys.of(entry), entry, entry.getTimestamp().toEpochMilli(), true);
    }

    /** Publishes a tombstone for a NAT key (the entry is gone); none for a namespace not watched, whose entries never went out. */
    public void tombstoneNat(String natKey) {
        if (!watched.watchesAll() && !watched.admits(netnsOfNatKey(natKey))) return;
        send(natTopic, natKey, null, System.currentTimeMillis() + clockOffsetMicros / 1000, true);
        metrics.tombstone();
    }

    /** The NAT key's second segment ({@code host|netns|...}); null when it is not a number. */
    private static Long netnsOfNatKey(String natKey) {
        int a = natKey.indexOf('|');
        int b = a < 0 ? -1 : natKey.indexOf('|', a + 1);
        if (b < 0) return null;
        try {
            return Long.parseLong(natKey.substring(a + 1, b));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The last seq assigned (0 before the first record). */
    public synchronized long lastSeq() {
        return seq;
    }

    /** Where publish stalls are tracked (the agent thread reports heartbeats and resyncs to it). */
    PublishStalls stalls() {
        return stalls;
    }

    private void send(String topic, String key, Object value, long timestampMillis, boolean nat) {
        long sentAt = System.nanoTime();
        try {
            stalls.sent(sentAt);
            producer.send(new ProducerRecord<>(topic, null, timestampMillis, key, value), (meta, error) -> {
                stalls.answered(sentAt, System.nanoTime(), error == null);
                if (error == null) {
                    metrics.published(nat);
                    failingSince.set(NONE);
                } else {
                    failed(sentAt, topic, error);
                }
            });
        } catch (RuntimeException e) {
            stalls.answered(sentAt, System.nanoTime(), false);
            // serialization (registry) failures and a closed producer surface here, not in the callback
            failed(sentAt, topic, e);
        }
    }

    private void failed(long sentAt, String topic, Throwable error) {
        String why = describe(topic, error);
        lastFailure = why;
        failingSince.accumulateAndGet(sentAt, (since, at) -> since == NONE || at - since < 0 ? at : since);
        loss.lost(LossCause.SEND_FAILED, 1, why);
    }

    /** A failed send in words; a missing topic says so, and who creates topics. */
    static String describe(String topic, Throwable error) {
        String text = String.valueOf(error);
        if (error instanceof UnknownTopicOrPartitionException
                || (error instanceof org.apache.kafka.common.errors.TimeoutException && text.contains("not present in metadata"))) {
            return "topic " + topic + " is missing (producers never create topics: start `conntrail topology` or create it; "
                    + text + ")";
        }
        return topic + ": " + text;
    }

    /** How long sends have been failing without one succeeding since (0: the last send was acknowledged). */
    public long failingNanos(long nowNanos) {
        long since = failingSince.get();
        return since == NONE ? 0 : Math.max(1, nowNanos - since);
    }

    /** The last failed send, in words (null before the first). */
    public String lastFailure() {
        return lastFailure;
    }

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
