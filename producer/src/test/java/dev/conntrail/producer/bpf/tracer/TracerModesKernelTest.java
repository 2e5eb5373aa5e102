package dev.conntrail.producer.bpf.tracer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.bpf.layout.TracerObject;
import dev.conntrail.testkit.Root;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tracer configurations other than the default: exact accept pid, classic tracepoint, a tiny ring buffer. Root. */
class TracerModesKernelTest {
    private final List<TcpEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void root() {
        Assumptions.assumeTrue(Root.isRoot(), "needs root (runs in CI as root)");
    }

    /** Events on the test server's loopback endpoint (another process may use the number as an ephemeral port elsewhere). */
    private List<TcpEvent> forPort(int port) {
        java.util.Set<String> loopback = java.util.Set.of("127.0.0.1", "::1", "::ffff:127.0.0.1");
        return events.stream().filter(e -> (e.getLport() == port && loopback.contains(e.getLaddr()))
                || (e.getRport() == port && loopback.contains(e.getRaddr()))).toList();
    }

    @Test
    void exactModeNamesTheForkedWorkerThatAccepted() throws Exception {
        TracerOptions o = TracerOptions.defaults("h", 1).withAcceptPid(AcceptPidMode.EXACT);
        try (Tracer tracer = Tracer.start(o, events::add)) {
            assertThat(tracer.attachedPrograms()).contains("ct_accept_exit", "ct_accept4_exit");
            try (Actor server = Actor.server(null, "ctsrv", "127.0.0.1", 2, true)) {
                int port = server.awaitInt("port");
                int worker = server.awaitInt("worker");
                try (Actor client = Actor.client(null, "ctcli", "127.0.0.1", port, 2, "close")) {
                    client.await("done");
                }
                server.await("done");
                await().atMost(Duration.ofSeconds(10)).until(() -> forPort(port).size() >= 8);
                Thread.sleep(300);
                List<TcpEvent> accepts = forPort(port).stream().filter(e -> e.getType() == EventType.ACCEPT).toList();
                assertThat(accepts).hasSize(2).allSatisfy(a -> {
                    assertThat(a.getPid()).isEqualTo(worker);
                    assertThat(a.getTid()).isEqualTo(worker);
                    assertThat(a.getComm()).isEqualTo("ctsrv-w");
                    assertThat(a.getCookie()).isNotNull();
                });
                assertThat(forPort(port)).hasSize(8);
                assertThat(tracer.counters().acceptExact()).isGreaterThanOrEqualTo(2);
            }
        }
    }

    @Test
    void exactModeSendsAnAcceptNobodyAcceptedWithoutPidBeforeItsClose() throws Exception {
        TracerOptions o = TracerOptions.defaults("h", 1).withAcceptPid(AcceptPidMode.EXACT);
        try (Tracer tracer = Tracer.start(o, events::add);
                java.net.ServerSocket listener = new java.net.ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
            int port = listener.getLocalPort();
            // the client connects and resets; the server never calls accept() before closing the listener
            try (Actor client = Actor.client(null, "ctcli", "127.0.0.1", port, 1, "reset")) {
                client.await("done");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> forPort(port).size() >= 4);
            List<TcpEvent> mine = forPort(port);
            TcpEvent accept = mine.stream().filter(e -> e.getType() == EventType.ACCEPT).findFirst().orElseThrow();
            assertThat(accept.getPid()).isNull();
            TcpEvent serverClose = mine.stream().filter(e -> e.getType() == EventType.CLOSE && e.getLport() == port)
                    .findFirst().orElseThrow();
            assertThat(mine.indexOf(accept)).isLessThan(mine.indexOf(serverClose));
            assertThat(tracer.counters().acceptUnclaimed()).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void classicTracepointFallbackRunsWithoutCookies() throws Exception {
        try (Tracer tracer = Tracer.start(TracerOptions.defaults("h", 1).withTpBtf(false), events::add)) {
            assertThat(tracer.hasCookies()).isFalse();
            assertThat(tracer.attachedPrograms()).containsExactly(TracerObject.PROG_STATE_TP);
            try (Actor server = Actor.server(null, "ctsrv", "::1", 1, false)) {
                int port = server.awaitInt("port");
                try (Actor client = Actor.client(null, "ctcli", "::1", port, 1, "close")) {
                    int clientPid = client.pid();
                    client.await("done");
                    server.await("done");
                    await().atMost(Duration.ofSeconds(10)).until(() -> forPort(port).size() >= 4);
                    Thread.sleep(200);
                    List<TcpEvent> mine = forPort(port);
                    assertThat(mine).hasSize(4).allSatisfy(e -> assertThat(e.getCookie()).isNull());
                    assertThat(mine).filteredOn(e -> e.getType() == EventType.CONNECT).singleElement()
                            .satisfies(e -> assertThat(e.getPid()).isEqualTo(clientPid));
                    assertThat(mine).filteredOn(e -> e.getType() == EventType.ACCEPT).singleElement()
                            .satisfies(e -> assertThat(e.getPid()).isEqualTo(server.pid()));
                }
            }
        }
    }

    /**
     * The reader sleeps in poll() for up to its poll interval; the kernel must wake it as soon as enough
     * data waits — every time it goes back to sleep, not only the first (the wake-up is asked for per
     * sleep: bpf/tracer.bpf.c, reader_sleeping). Each round's connections make ~4x the wake-up threshold.
     */
    @Test
    void theKernelWakesTheSleepingReaderEachTimeEnoughWaits() throws Exception {
        Duration pollInterval = Duration.ofSeconds(4);
        TracerOptions o = TracerOptions.defaults("h", 1).withRingBuffer(64 * 1024, 4096).withPollInterval(pollInterval);
        try (Tracer tracer = Tracer.start(o, events::add)) {
            for (int r = 0; r < 3; r++) {
                int round = r;
                Thread.sleep(200); // the reader has drained and sleeps again
                try (Actor server = Actor.server(null, "ctsrv", "127.0.0.1", 40, false)) {
                    int port = server.awaitInt("port");
                    long start = System.nanoTime();
                    try (Actor client = Actor.client(null, "ctcli", "127.0.0.1", port, 40, "paced")) {
                        client.await("done");
                    }
                    // 160 records of 152 bytes over ~100 ms: 4096 bytes (~26 records) in a CPU's ring wake the reader at
                    // least once, and most records are then older than the reader's cut (PerCpuRings: the newest 1 ms
                    // waits for the next drain); without a wake-up nothing arrives before the 4 s poll interval ends
                    await().atMost(Duration.ofMillis(1500))
                            .untilAsserted(() -> assertThat(forPort(port).size()).as("round %d", round).isGreaterThanOrEqualTo(36));
                    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(pollInterval.dividedBy(2));
                }
            }
            assertThat(tracer.counters().ringBufferFull()).isZero();
        }
    }

    @Test
    void aFullRingBufferIsCountedAsLost() throws Exception {
        // one page of ring buffer holds 26 records of 152 bytes; 60 connections make 240
        TracerOptions o = TracerOptions.defaults("h", 1).withRingBuffer(4096, 0);
        try (Tracer tracer = Tracer.start(o, events::add)) {
            tracer.pause();
            Thread.sleep(150); // let the reader reach its paused state
            try (Actor server = Actor.server(null, "ctsrv", "127.0.0.1", 60, false)) {
                int port = server.awaitInt("port");
                try (Actor client = Actor.client(null, "ctcli", "127.0.0.1", port, 60, "close")) {
                    client.await("done");
                }
                server.await("done");
                TracerCounters c = tracer.counters();
                assertThat(c.ringBufferFull()).isGreaterThan(0);
                assertThat(c.lost()).isGreaterThanOrEqualTo(c.ringBufferFull());
                tracer.resume();
                await().atMost(Duration.ofSeconds(5)).until(() -> tracer.counters().decoded() >= tracer.counters().events());
                // what was delivered plus what was dropped is everything the kernel produced for us
                TracerCounters after = tracer.counters();
                assertThat(after.decoded()).isEqualTo(after.events());
                assertThat(forPort(port).size()).isLessThan(240);
            }
        }
    }
}
