package dev.conntrail.topology.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.EventType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Sockets that open and close over a few seconds from three hosts (event time = now), sent the way a producer
 * sends them, on a thread of its own; then the check that every socket's row went OPEN, CLOSED, tombstone —
 * exactly once each, on its host's partition, the CLOSED row keeping the open fields — whatever happened to the
 * topology meanwhile.
 */
final class ChurnLoad {
    private final Kit kit;
    private final int sockets;
    private final AtomicBoolean done = new AtomicBoolean();
    private final Thread thread;

    ChurnLoad(Kit kit, int sockets) {
        this.kit = kit;
        this.sockets = sockets;
        this.thread = new Thread(this::run, "churn-load");
    }

    void start() {
        thread.start();
    }

    boolean done() {
        return done.get();
    }

    void join() throws InterruptedException {
        thread.join();
    }

    private void run() {
        for (int i = 0; i < sockets; i++) {
            kit.send(kit.event(EventType.CONNECT, "host-" + (i % 3), 20000 + i, Instant.now()));
            if (i >= 10) {
                kit.send(kit.event(EventType.CLOSE, "host-" + ((i - 10) % 3), 20000 + i - 10, Instant.now()));
            }
            if (i % 100 == 0) {
                ConnectionTopologyIntegrationTest.sleep(300);
            }
        }
        for (int i = sockets - 10; i < sockets; i++) {
            kit.send(kit.event(EventType.CLOSE, "host-" + (i % 3), 20000 + i, Instant.now()));
        }
        kit.producer.flush();
        done.set(true);
    }

    /** What the table showed, for the caller's own checks around an event at {@code faultAt}. */
    record Outcome(int closedAfterTheFault, int tombstonedAfterTheFault) {
    }

    /** Reads every committed change of connections and checks each socket's history; counts what happened after {@code faultAt}. */
    Outcome verify(String connectionsTopic, Instant faultAt) {
        List<ConsumerRecord<String, byte[]>> all = kit.readCommitted(connectionsTopic, 3 * sockets, Duration.ofSeconds(120));
        Map<String, List<String>> byKey = new HashMap<>();
        Map<String, Instant> closedAt = new HashMap<>();
        int closedAfter = 0;
        int tombstonedAfter = 0;
        for (ConsumerRecord<String, byte[]> r : all) {
            Connection c = kit.decode(r);
            byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(c == null ? "TOMBSTONE" : c.getState().name());
            assertThat(r.partition()).as("a row change goes to its host's partition").isEqualTo(kit.partitionOf(r.key()));
            if (c != null && c.getState() == ConnectionState.CLOSED) {
                assertThat(c.getOpenedAt()).as("CLOSED row of %s keeps the open fields", r.key()).isNotNull();
                assertThat(c.getPid()).as("pid of %s", r.key()).isEqualTo(c.getLport());
                assertThat(c.getComm()).isEqualTo("it");
                assertThat(r.headers().lastHeader("conntrail-row-state")).isNotNull();
                closedAt.put(r.key(), c.getClosedAt());
                if (c.getClosedAt().isAfter(faultAt) && c.getOpenedAt().isBefore(faultAt)) {
                    closedAfter++;
                }
            } else if (c == null && closedAt.get(r.key()).isBefore(faultAt)) {
                tombstonedAfter++; // closed before the fault, due >= W later: tombstoned after it
            }
        }
        assertThat(byKey).hasSize(sockets);
        assertThat(byKey.values()).as("every socket: exactly one OPEN, one CLOSED, then one tombstone")
                .allMatch(changes -> changes.equals(List.of("OPEN", "CLOSED", "TOMBSTONE")));
        return new Outcome(closedAfter, tombstonedAfter);
    }
}
