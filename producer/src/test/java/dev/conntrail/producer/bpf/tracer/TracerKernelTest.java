package dev.conntrail.producer.bpf.tracer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.bpf.layout.TracerObject;
import dev.conntrail.testkit.Root;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tracer against the real kernel: known connections between known processes (python3 actors
 * with their own comm), counted exactly. Needs root (CI runs as root).
 */
class TracerKernelTest {
    private static final List<TcpEvent> EVENTS = new CopyOnWriteArrayList<>();
    private static Tracer tracer;
    private static long rootNetns;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Root.isRoot(), "needs root (runs in CI as root)");
        rootNetns = (Long) Files.getAttribute(Path.of("/proc/self/ns/net"), "unix:ino");
        tracer = Tracer.start(TracerOptions.defaults("test-host", 42L), EVENTS::add);
        assertThat(tracer.hasCookies()).isTrue();
        assertThat(tracer.attachedPrograms()).containsExactly(TracerObject.PROG_STATE_BTF);
    }

    @AfterAll
    static void stop() {
        if (tracer != null) {
            tracer.close();
        }
    }

    /**
     * This test's events: arrived after {@code since} (an index into EVENTS), and on the server's
     * endpoint (addr:port as local or remote end; v4-mapped form included) — other tests and other
     * processes on this host may reuse the port number as an ephemeral port on another address.
     */
    static List<TcpEvent> eventsFor(String addr, int serverPort, int since) {
        Set<String> addrs = Set.of(addr, "::ffff:" + addr);
        Predicate<TcpEvent> p = e -> (e.getLport() == serverPort && addrs.contains(e.getLaddr()))
                || (e.getRport() == serverPort && addrs.contains(e.getRaddr()));
        List<TcpEvent> all = List.copyOf(EVENTS);
        return all.subList(Math.min(since, all.size()), all.size()).stream().filter(p).toList();
    }

    static int mark() {
        return EVENTS.size();
    }

    static List<TcpEvent> ofType(List<TcpEvent> events, EventType t) {
        return events.stream().filter(e -> e.getType() == t).toList();
    }

    /** Waits until {@code expected} events for the endpoint arrived, then a little longer to catch extras. */
    static List<TcpEvent> awaitEvents(String addr, int port, int since, int expected) throws InterruptedException {
        await().atMost(Duration.ofSeconds(10)).until(() -> eventsFor(addr, port, since).size() >= expected);
        Thread.sleep(300);
        return eventsFor(addr, port, since);
    }

    /** Runs one server and one client; checks exact counts and the owner of each side. */
    private record Run(List<TcpEvent> events, int serverPid, int clientPid, int port) {
    }

    private Run connectAndClose(String serverNs, String clientNs, String listenAddr, String connectAddr, int n, String mode)
            throws Exception {
        int since = mark();
        try (Actor server = Actor.server(serverNs, "ctsrv", listenAddr, n, false)) {
            int port = server.awaitInt("port");
            try (Actor client = Actor.client(clientNs, "ctcli", connectAddr, port, n, mode)) {
                int clientPid = client.pid();
                client.await("done");
                server.await("done");
                List<TcpEvent> events = awaitEvents(connectAddr, port, since, 4 * n);
                return new Run(events, server.pid(), clientPid, port);
            }
        }
    }

    private static void assertOwnersAndCounts(Run r, int n, long serverNetns, long clientNetns) {
        List<TcpEvent> connects = ofType(r.events, EventType.CONNECT);
        List<TcpEvent> accepts = ofType(r.events, EventType.ACCEPT);
        List<TcpEvent> closes = ofType(r.events, EventType.CLOSE);
        assertThat(connects).as("CONNECT").hasSize(n);
        assertThat(accepts).as("ACCEPT").hasSize(n);
        assertThat(closes).as("CLOSE").hasSize(2 * n);
        assertThat(r.events).hasSize(4 * n);
        for (TcpEvent c : connects) {
            assertThat(c.getPid()).isEqualTo(r.clientPid);
            assertThat(c.getTid()).isEqualTo(r.clientPid); // python's main thread
            assertThat(c.getComm()).isEqualTo("ctcli");
            assertThat(c.getRport()).isEqualTo(r.port);
            assertThat(c.getNetns()).isEqualTo(clientNetns);
            assertThat(c.getCgroupId()).isNotNull().isPositive();
        }
        for (TcpEvent a : accepts) {
            assertThat(a.getPid()).isEqualTo(r.serverPid);
            assertThat(a.getTid()).isEqualTo(r.serverPid);
            assertThat(a.getComm()).isEqualTo("ctsrv");
            assertThat(a.getLport()).isEqualTo(r.port);
            assertThat(a.getNetns()).isEqualTo(serverNetns);
        }
        for (TcpEvent c : closes) {
            assertThat(c.getPid()).isNull();
            assertThat(c.getComm()).isNull();
        }
        for (TcpEvent e : r.events) {
            assertThat(e.getUid()).isEqualTo(0L);
            assertThat(e.getSource()).isEqualTo(Source.EBPF);
            assertThat(e.getHost()).isEqualTo("test-host");
            assertThat(e.getAgentEpoch()).isEqualTo(42L);
            assertThat(e.getCookie()).isNotNull();
            assertThat(e.getTimestamp()).isBetween(java.time.Instant.now().minusSeconds(60), java.time.Instant.now());
        }
        // one cookie per socket: 2n distinct, and each socket opened once and closed once
        Set<Long> opened = new HashSet<>();
        connects.forEach(e -> opened.add(e.getCookie()));
        accepts.forEach(e -> opened.add(e.getCookie()));
        assertThat(opened).hasSize(2 * n);
        Set<Long> closed = new HashSet<>();
        closes.forEach(e -> closed.add(e.getCookie()));
        assertThat(closed).isEqualTo(opened);
        // each CLOSE carries the tuple of the socket that opened with the same cookie
        for (TcpEvent c : closes) {
            TcpEvent open = r.events.stream().filter(e -> e.getType() != EventType.CLOSE && e.getCookie().equals(c.getCookie()))
                    .findFirst().orElseThrow();
            assertThat(List.of(c.getLaddr(), c.getLport(), c.getRaddr(), c.getRport(), c.getNetns()))
                    .isEqualTo(List.of(open.getLaddr(), open.getLport(), open.getRaddr(), open.getRport(), open.getNetns()));
            assertThat(c.getTimestamp()).isAfterOrEqualTo(open.getTimestamp());
        }
    }

    @Test
    void ipv4LoopbackConnectionsAreCountedExactlyWithOwners() throws Exception {
        Run r = connectAndClose(null, null, "127.0.0.1", "127.0.0.1", 3, "close");
        assertOwnersAndCounts(r, 3, rootNetns, rootNetns);
        assertThat(r.events).allSatisfy(e -> {
            assertThat(e.getFamily()).isEqualTo(Family.IPV4);
            assertThat(e.getLaddr()).isEqualTo("127.0.0.1");
            assertThat(e.getRaddr()).isEqualTo("127.0.0.1");
        });
    }

    @Test
    void ipv6LoopbackConnections() throws Exception {
        Run r = connectAndClose(null, null, "::1", "::1", 2, "close");
        assertOwnersAndCounts(r, 2, rootNetns, rootNetns);
        assertThat(r.events).allSatisfy(e -> {
            assertThat(e.getFamily()).isEqualTo(Family.IPV6);
            assertThat(e.getLaddr()).isEqualTo("::1");
            assertThat(e.getRaddr()).isEqualTo("::1");
        });
    }

    @Test
    void v4MappedAcceptOnADualStackListener() throws Exception {
        Run r = connectAndClose(null, null, "::", "127.0.0.1", 2, "close");
        assertOwnersAndCounts(r, 2, rootNetns, rootNetns);
        for (TcpEvent e : r.events) {
            boolean serverSide = e.getLport() == r.port;
            if (serverSide) {
                assertThat(e.getFamily()).isEqualTo(Family.IPV6);
                assertThat(e.getLaddr()).isEqualTo("::ffff:127.0.0.1");
                assertThat(e.getRaddr()).isEqualTo("::ffff:127.0.0.1");
            } else {
                assertThat(e.getFamily()).isEqualTo(Family.IPV4);
                assertThat(e.getLaddr()).isEqualTo("127.0.0.1");
            }
        }
    }

    @Test
    void acrossTwoNamespacesJoinedByVeth() throws Exception {
        try (NetnsPair ns = new NetnsPair()) {
            Run r = connectAndClose(ns.a, ns.b, ns.addrA, ns.addrA, 2, "close");
            long nsA = ns.inode(ns.a);
            long nsB = ns.inode(ns.b);
            assertThat(nsA).isNotEqualTo(nsB).isNotEqualTo(rootNetns);
            assertOwnersAndCounts(r, 2, nsA, nsB);
            for (TcpEvent e : r.events) {
                boolean serverSide = e.getLport() == r.port;
                assertThat(e.getNetns()).isEqualTo(serverSide ? nsA : nsB);
                assertThat(e.getLaddr()).isEqualTo(serverSide ? ns.addrA : ns.addrB);
                assertThat(e.getRaddr()).isEqualTo(serverSide ? ns.addrB : ns.addrA);
            }
        }
    }

    @Test
    void resetConnectionsCloseBothEnds() throws Exception {
        Run r = connectAndClose(null, null, "127.0.0.1", "127.0.0.1", 2, "reset");
        assertOwnersAndCounts(r, 2, rootNetns, rootNetns);
    }

    @Test
    void aConnectionThatLivesMicrosecondsIsSeenWhole() throws Exception {
        Run r = connectAndClose(null, null, "127.0.0.1", "127.0.0.1", 1, "reset");
        assertOwnersAndCounts(r, 1, rootNetns, rootNetns);
        TcpEvent connect = ofType(r.events, EventType.CONNECT).get(0);
        TcpEvent clientClose = ofType(r.events, EventType.CLOSE).stream()
                .filter(e -> e.getCookie().equals(connect.getCookie())).findFirst().orElseThrow();
        assertThat(Duration.between(connect.getTimestamp(), clientClose.getTimestamp())).isLessThan(Duration.ofMillis(50));
    }

    /**
     * Each connection is made on one CPU and reset from the other, so each socket's open event and its CLOSE
     * sit in different CPUs' ring buffers; the reader must still hand out every socket's events in order.
     */
    @Test
    void eachSocketsEventsArriveInOrderWhenTheyComeFromTwoCpus() throws Exception {
        Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs 2 CPUs");
        int n = 1500;
        Run r = connectAndClose(null, null, "127.0.0.1", "127.0.0.1", n, "migrate");
        assertOwnersAndCounts(r, n, rootNetns, rootNetns);
        java.util.Map<Long, Integer> openedAt = new java.util.HashMap<>();
        for (int i = 0; i < r.events.size(); i++) {
            TcpEvent e = r.events.get(i);
            if (e.getType() == EventType.CLOSE) {
                assertThat(openedAt).as("CLOSE #%d (cookie %d) came before its socket's CONNECT/ACCEPT", i, e.getCookie())
                        .containsKey(e.getCookie());
            } else {
                openedAt.put(e.getCookie(), i);
            }
        }
    }

    /** Detached (the switch bench/tracer_toggle.py uses), connections give no events; attached again, they do. */
    @Test
    void aDetachedTracerSeesNothingAndSeesAgainOnceReattached() throws Exception {
        int since = mark();
        int port;
        try {
            tracer.setAttached(false);
            assertThat(tracer.attachedPrograms()).isEmpty();
            try (Actor server = Actor.server(null, "ctsrv", "127.0.0.1", 3, false)) {
                port = server.awaitInt("port");
                try (Actor client = Actor.client(null, "ctcli", "127.0.0.1", port, 3, "close")) {
                    client.await("done");
                    server.await("done");
                }
            }
            Thread.sleep(300);
        } finally {
            tracer.setAttached(true);
        }
        assertThat(eventsFor("127.0.0.1", port, since)).isEmpty();
        assertThat(tracer.attachedPrograms()).containsExactly(TracerObject.PROG_STATE_BTF);
        Run r = connectAndClose(null, null, "127.0.0.1", "127.0.0.1", 3, "close");
        assertOwnersAndCounts(r, 3, rootNetns, rootNetns);
    }

    @Test
    void refusedConnectIsCountedAndSendsNothing() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // a port nobody listens on once closed
        }
        long before = tracer.counters().connectFailed();
        int since = mark();
        try (Actor client = Actor.client(null, "ctcli", "127.0.0.1", port, 2, "refused")) {
            client.await("done");
            assertThat(client.get("refused")).isEqualTo("1,1");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> tracer.counters().connectFailed() >= before + 2);
        Thread.sleep(200);
        assertThat(eventsFor("127.0.0.1", port, since)).isEmpty();
    }

    @Test
    void aTupleReusedByANewSocketGetsANewCookie() throws Exception {
        int since = mark();
        try (Actor server = Actor.server(null, "ctsrv", "127.0.0.1", 2, false)) {
            int port = server.awaitInt("port");
            try (Actor client = Actor.client(null, "ctcli", "127.0.0.1", port, 2, "reuse")) {
                client.await("done");
                String[] lports = client.await("lport").split(",");
                assertThat(lports).hasSize(2);
                assertThat(lports[0]).isEqualTo(lports[1]); // same 4-tuple twice
            }
            server.await("done");
            List<TcpEvent> events = awaitEvents("127.0.0.1", port, since, 8);
            List<TcpEvent> connects = ofType(events, EventType.CONNECT);
            assertThat(connects).hasSize(2);
            assertThat(connects.get(0).getLport()).isEqualTo(connects.get(1).getLport());
            assertThat(connects.get(0).getCookie()).isNotEqualTo(connects.get(1).getCookie());
            assertThat(ofType(events, EventType.CLOSE)).hasSize(4);
        }
    }

    @Test
    void aSeededListenerNamesTheAcceptsOfAListenerOlderThanTheTracer() throws Exception {
        // The listener map has this server from its listen(); overwrite it with a seed and see the seed used.
        int since = mark();
        try (Actor server = Actor.server(null, "ctsrv", "127.0.0.1", 1, false)) {
            int port = server.awaitInt("port");
            tracer.seedListener(rootNetns, new byte[] {127, 0, 0, 1}, port, 4242, 4243, "seeded", 7L);
            try (Actor client = Actor.client(null, "ctcli", "127.0.0.1", port, 1, "close")) {
                client.await("done");
            }
            server.await("done");
            TcpEvent accept = ofType(awaitEvents("127.0.0.1", port, since, 4), EventType.ACCEPT).get(0);
            assertThat(accept.getPid()).isEqualTo(4242);
            assertThat(accept.getTid()).isEqualTo(4243);
            assertThat(accept.getComm()).isEqualTo("seeded");
            assertThat(accept.getCgroupId()).isEqualTo(7L);
        }
    }

    @Test
    void defaultModeNamesTheListenCallerOfAPreForkServer() throws Exception {
        // the documented caveat of the default mode: the forked worker accepts, the parent is named
        int since = mark();
        try (Actor server = Actor.server(null, "ctsrv", "127.0.0.1", 1, true)) {
            int port = server.awaitInt("port");
            server.await("worker");
            try (Actor client = Actor.client(null, "ctcli", "127.0.0.1", port, 1, "close")) {
                client.await("done");
            }
            server.await("done");
            TcpEvent accept = ofType(awaitEvents("127.0.0.1", port, since, 4), EventType.ACCEPT).get(0);
            assertThat(accept.getPid()).isEqualTo(server.pid());
            assertThat(accept.getComm()).isEqualTo("ctsrv");
        }
    }

    @Test
    void countersAreReadable() {
        TracerCounters c = tracer.counters();
        assertThat(c.events()).isGreaterThanOrEqualTo(c.decoded() - c.acceptTimedOut());
        assertThat(c.ringBufferFull()).isZero();
        assertThat(c.malformed()).isZero();
        assertThat(c.recursionMisses()).isZero();
    }
}
