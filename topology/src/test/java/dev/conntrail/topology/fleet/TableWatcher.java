package dev.conntrail.topology.fleet;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.schemas.HostPartitioner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads every committed change of {@code connections} from the beginning, on a thread of its own, as a
 * user's reader would ({@code read_committed}): what each row went through ({@link RowHistory}), and how
 * long after its {@code closedAt} each CLOSED row (reason CLOSED) could be read.
 */
final class TableWatcher implements AutoCloseable {
    /** What one row of the table went through, in the order its changes were read. */
    static final class RowHistory {
        static final int OPEN = 1;
        static final int CLOSED = 2;
        static final int HOST_LOST = 4;
        static final int NOT_IN_SNAPSHOT = 8;
        static final int TOMBSTONE = 16;
        static final int WRONG_PARTITION = 32;
        /** Every kind of change seen, as bits. */
        int seen;
        /** The last change's kind (one of the bits above but WRONG_PARTITION). */
        int last;
        /** The last row's kind (as {@link #last}, tombstones left out): what the row was before it was deleted. */
        int lastRow;
        /** The NAT the last row carries, as {@link #nat}: null when none (or after a tombstone). */
        String lastNat;
        int changes;

        boolean saw(int kind) {
            return (seen & kind) != 0;
        }
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final Deserializer<Connection> rows;
    private final String topic;
    private final int partitions;
    private final Map<String, RowHistory> history = new HashMap<>();
    /** Per CLOSED row read: its closedAt and the milliseconds from then to when it was read. */
    private final List<long[]> closeToRow = new ArrayList<>();
    private final AtomicLong changes = new AtomicLong();
    private final Thread thread;
    private final SnapshotConvergence convergence = new SnapshotConvergence(this, history);
    private volatile boolean running = true;
    private volatile RuntimeException failure;

    TableWatcher(Map<String, Object> client, String topic, Deserializer<Connection> rows) {
        this.topic = topic;
        this.rows = rows;
        Map<String, Object> p = new HashMap<>(client);
        p.put("isolation.level", "read_committed");
        p.put("allow.auto.create.topics", false);
        p.put("max.poll.records", 5000);
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> tps = new ArrayList<>();
        consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
        partitions = tps.size();
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        thread = new Thread(this::run, "fleet-table-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) read(r, System.currentTimeMillis());
            }
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void read(ConsumerRecord<String, byte[]> r, long now) {
        Connection row = r.value() == null ? null : rows.deserialize(r.topic(), r.value());
        int kind;
        if (row == null) {
            kind = RowHistory.TOMBSTONE;
        } else if (row.getState() == ConnectionState.OPEN) {
            kind = RowHistory.OPEN;
        } else if (row.getCloseReason() == CloseReason.HOST_LOST) {
            kind = RowHistory.HOST_LOST;
        } else if (row.getCloseReason() == CloseReason.NOT_IN_SNAPSHOT) {
            kind = RowHistory.NOT_IN_SNAPSHOT;
        } else {
            kind = RowHistory.CLOSED;
        }
        synchronized (this) {
            RowHistory h = history.computeIfAbsent(r.key(), k -> new RowHistory());
            h.seen |= kind;
            if (r.partition() != HostPartitioner.partitionFor(r.key(), partitions)) h.seen |= RowHistory.WRONG_PARTITION;
            h.last = kind;
            if (kind != RowHistory.TOMBSTONE) h.lastRow = kind;
            h.lastNat = row == null || row.getNat() == null ? null
                    : nat(row.getNat().getOrigSrc(), row.getNat().getOrigSport(), row.getNat().getOrigDst(), row.getNat().getOrigDport(),
                            row.getNat().getReplySrc(), row.getNat().getReplySport());
            h.changes++;
            if (kind == RowHistory.CLOSED && row.getClosedAt() != null) {
                long closedAt = row.getClosedAt().toEpochMilli();
                closeToRow.add(new long[] {closedAt, now - closedAt});
            }
            convergence.changed(r.key(), h, now);
        }
        changes.incrementAndGet();
    }

    /** A NAT match in a few words: the original tuple and where replies come from. */
    static String nat(Object origSrc, Object origSport, Object origDst, Object origDport, Object replySrc, Object replySport) {
        return origSrc + ":" + origSport + ">" + origDst + ":" + origDport + "<" + replySrc + ":" + replySport;
    }

    /** How long hosts' snapshots taken in the churn took to show in the table (fed by this watcher's reads). */
    SnapshotConvergence convergence() {
        return convergence;
    }

    /** Row changes read so far. */
    long changes() {
        return changes.get();
    }

    /** Calls {@code reader} with the histories read so far, under the watcher's lock (the map is not copied: 10^6 rows). */
    synchronized <T> T withHistory(java.util.function.Function<Map<String, RowHistory>, T> reader) {
        if (failure != null) throw new IllegalStateException("reading " + topic + " failed: " + failure, failure);
        return reader.apply(history);
    }

    /** Milliseconds from each CLOSE's time to when its CLOSED row was read, sorted: of the closes at or after {@code fromMillis}. */
    synchronized long[] closeToRowMillis(long fromMillis) {
        return closeToRowMillis(fromMillis, Long.MAX_VALUE);
    }

    /** As {@link #closeToRowMillis(long)}, of the closes in [{@code fromMillis}, {@code toMillis}). */
    synchronized long[] closeToRowMillis(long fromMillis, long toMillis) {
        return closeToRow.stream().filter(c -> c[0] >= fromMillis && c[0] < toMillis).mapToLong(c -> c[1]).sorted().toArray();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
    }
}
