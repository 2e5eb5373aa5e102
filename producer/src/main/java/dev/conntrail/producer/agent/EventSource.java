package dev.conntrail.producer.agent;

import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import java.util.function.Consumer;

/**
 * Where the agent's connection events come from: the eBPF tracer ({@link BpfEventSource}) or the
 * /proc polling fallback ({@link PollEventSource}). Events go to the sink given at start, on the
 * source's own thread, which must only hand them off; the agent's thread {@linkplain #complete completes}
 * each before publishing it. {@link #snapshot} takes the rule-1 snapshot while events keep arriving.
 */
interface EventSource extends AutoCloseable {
    /** One phrase for the start log line: what is attached / polled. */
    String describe();

    /** The source field of SNAPSHOT and HEARTBEAT records. */
    Source snapshotSource();

    Source heartbeatSource();

    /** Whether its SNAPSHOT records carry the sockets' counters (the BPF socket iterator's do): worth a refresh pass. */
    default boolean readsCounters() {
        return false;
    }

    /**
     * Completes an event the sink received, on the agent's thread just before it is published: what the source's
     * own thread must not wait for (a tracer event's container, which can take a file read or a cgroup walk).
     * Also called after {@link #close} for the events still queued.
     */
    default void complete(TcpEvent event) {
    }

    /**
     * A snapshot now: its SNAPSHOT records (seq 0) go to {@code each} one at a time as it is taken, none held
     * after it is handed on; the tracer's listener map is seeded from it.
     */
    Taken snapshot(String snapshotId, Consumer<TcpEvent> each);

    /**
     * Hands the sink, before returning, the events the source has buffered but not yet delivered (the tracer's ring
     * buffers), waiting a bounded time. A resync calls it before its snapshot (design rule 1).
     */
    default void drain() throws InterruptedException {
    }

    /** Cumulative count of events the source itself lost (ring buffer full, failed polls). */
    long lost();

    LossCause lossCause();

    /** Events whose cgroup id the container cache did not know (the tracer's; none for polls). */
    default long containerMisses() {
        return 0;
    }

    /** Of those, the ones left without an answer. */
    default long containerUnresolved() {
        return 0;
    }

    @Override
    void close();

    /**
     * One snapshot: its counts, its own wall time (without the time its records took to be handed on: publishing),
     * and how many namespaces it could not read whole.
     */
    record Taken(int sockets, int listeners, int seeded, long millis, int namespacesIncomplete) {
    }
}
