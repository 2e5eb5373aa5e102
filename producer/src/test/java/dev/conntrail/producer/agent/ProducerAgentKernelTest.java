package dev.conntrail.producer.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.broker.EmbeddedKafkaCluster;
import dev.conntrail.producer.conntrack.ConntrackReader;
import dev.conntrail.producer.hosttest.Holders;
import dev.conntrail.producer.hosttest.TwoNamespaces;
import dev.conntrail.schemas.HostPartitioner;
import dev.conntrail.schemas.Keys;
import dev.conntrail.testkit.RealCluster;
import dev.conntrail.testkit.Root;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent against real parts (root; CI runs as root): the in-JVM Kafka broker, a mock:// registry
 * (the real Apicurio registry is covered by the serde tests), the kernel's TCP stack and conntrack.
 */
class ProducerAgentKernelTest {
    private static final int PARTITIONS = 6;
    private static final long PID = ProcessHandle.current().pid();
    private EmbeddedKafkaCluster broker;
    private String suffix;
    private String events;
    private String natTopic;
    private String host;
    private String registry;

    @BeforeEach
    void topics() {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        broker = RealCluster.broker();
        suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        events = "tcp-events-" + suffix;
        natTopic = "conntrack-nat-" + suffix;
        host = "agent-" + suffix;
        registry = "mock://agent-" + suffix;
        broker.createTopics(PARTITIONS, events, natTopic);
    }

    @AfterEach
    void dropTopics() {
        if (broker != null) {
            broker.deleteTopics(events, natTopic);
        }
    }

    private AgentOptions options() {
        Map<String, Object> client = new HashMap<>(broker.clientConfig());
        client.put("schema.registry.url", registry);
        return AgentOptions.defaults(host, client).withTopics(events, natTopic)
                .withIntervals(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMillis(200)).withMetricsPort(0);
    }

    @Test
    void snapshotThenLiveEventsHeartbeatsAndNatWithKeysPartitionsAndSeq() throws Exception {
        try (TwoNamespaces nets = new TwoNamespaces(); Holders holders = new Holders();
             ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Socket held = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
             Socket heldAccepted = server.accept()) {
            // NAT: namespace B DNATs port 80 to a listener there (only addresses inside our namespaces)
            long nsB = TwoNamespaces.inode(nets.b);
            ServerSocketChannel natServer = nets.dnatPort80ToListenerInB();
            int natPort = ((InetSocketAddress) natServer.getLocalAddress()).getPort();

            try (natServer; ProducerAgent agent = ProducerAgent.start(options().withConntrack(ConntrackReader.Scope.ALL));
                 TopicReader eventsIn = new TopicReader(broker.clientConfig(), registry, events);
                 TopicReader natIn = new TopicReader(broker.clientConfig(), registry, natTopic)) {
                int serverPort = server.getLocalPort();
                int heldPort = held.getLocalPort();

                // 1. the start-up snapshot holds the test's loopback connection (both ends), then SNAPSHOT_END
                TcpEvent snapOut = awaitEvent(eventsIn, e -> e.getType() == EventType.SNAPSHOT && isTuple(e, heldPort, serverPort));
                TcpEvent snapIn = awaitEvent(eventsIn, e -> e.getType() == EventType.SNAPSHOT && isTuple(e, serverPort, heldPort));
                TcpEvent end = awaitEvent(eventsIn, e -> e.getType() == EventType.SNAPSHOT_END);
                assertThat(snapOut.getDirection()).isEqualTo(Direction.OUTGOING);
                assertThat(snapIn.getDirection()).isEqualTo(Direction.INCOMING);
                assertThat(snapOut.getPid()).isEqualTo((int) PID);
                assertThat(snapOut.getSource()).isEqualTo(Source.SNAPSHOT);
                assertThat(snapOut.getCookie()).isNotNull(); // tp_btf here: cookies on every record
                assertThat(snapOut.getSnapshotId()).isEqualTo(end.getSnapshotId()).isNotNull();
                assertThat(end.getSeq()).isGreaterThan(snapOut.getSeq()).isGreaterThan(snapIn.getSeq());
                assertThat(snapOut.getAgentEpoch()).isEqualTo(agent.agentEpoch());

                // 2. a new connection: CONNECT, ACCEPT, then CLOSE of both ends
                int newPort;
                try (Socket c = new Socket(InetAddress.getLoopbackAddress(), serverPort); Socket a = server.accept()) {
                    newPort = c.getLocalPort();
                    awaitEvent(eventsIn, e -> e.getType() == EventType.ACCEPT && isTuple(e, serverPort, newPort));
                }
                TcpEvent connect = awaitEvent(eventsIn, e -> e.getType() == EventType.CONNECT && isTuple(e, newPort, serverPort));
                TcpEvent accept = awaitEvent(eventsIn, e -> e.getType() == EventType.ACCEPT && isTuple(e, serverPort, newPort));
                TcpEvent closeOut = awaitEvent(eventsIn, e -> e.getType() == EventType.CLOSE && isTuple(e, newPort, serverPort));
                awaitEvent(eventsIn, e -> e.getType() == EventType.CLOSE && isTuple(e, serverPort, newPort));
                assertThat(connect.getPid()).isEqualTo((int) PID);
                assertThat(accept.getPid()).isEqualTo((int) PID); // the listener's owner, from the seeded/learned listener map
                // this JVM's cgroup, as the kernel names it, on the snapshot's records and the tracer's alike
                Long ownCgroup = dev.conntrail.producer.container.CgroupHierarchy.detect().idOf(
                        dev.conntrail.producer.container.ProcessCgroups.read(java.nio.file.Path.of("/proc"), (int) PID).unified());
                assertThat(ownCgroup).isNotNull();
                assertThat(snapOut.getCgroupId()).isEqualTo(ownCgroup).isEqualTo(connect.getCgroupId());
                assertThat(accept.getCgroupId()).isEqualTo(ownCgroup);
                assertThat(connect.getSource()).isEqualTo(Source.EBPF);
                assertThat(closeOut.getCookie()).isEqualTo(connect.getCookie());
                assertThat(connect.getSeq()).isGreaterThan(end.getSeq());

                // 3. heartbeats
                awaitEvent(eventsIn, e -> e.getType() == EventType.HEARTBEAT);

                // 4. NAT: a connection from A to B:80 is DNATed; its entry is published, then tombstoned when deleted
                holders.connect(nets.a, nets.v4b, 80);
                int clientPort;
                try (SocketChannel accepted = natServer.accept()) {
                    clientPort = ((InetSocketAddress) accepted.getRemoteAddress()).getPort();
                }
                String natKey = Keys.natKey(host, nsB, 0, "IPV4", nets.v4a, clientPort, nets.v4b, 80);
                await().atMost(Duration.ofSeconds(10)).until(() -> natIn.poll().stream()
                        .anyMatch(r -> r.key().equals(natKey) && r.value() != null));
                NatEntry entry = (NatEntry) natIn.records.stream().filter(r -> r.key().equals(natKey)).findFirst().orElseThrow().value();
                assertThat(entry.getReplySport()).isEqualTo(natPort);
                assertThat(entry.getReplySrc()).isEqualTo(nets.v4b);
                TwoNamespaces.netnsExec(nets.b, "conntrack", "-D", "-p", "tcp", "--orig-port-dst", "80");
                await().atMost(Duration.ofSeconds(10)).until(() -> natIn.poll().stream()
                        .anyMatch(r -> r.key().equals(natKey) && r.value() == null));

                // keys, partitions, seq: every record of this host in one partition, keyed per the contract,
                // seq strictly increasing in offset order
                int partition = HostPartitioner.partitionFor(host, PARTITIONS);
                List<ConsumerRecord<String, Object>> all = eventsIn.poll();
                long lastSeq = 0;
                for (ConsumerRecord<String, Object> r : all) {
                    TcpEvent e = (TcpEvent) r.value();
                    assertThat(r.partition()).isEqualTo(partition);
                    assertThat(r.key()).isEqualTo(Keys.of(e));
                    assertThat(e.getHost()).isEqualTo(host);
                    assertThat(e.getSeq()).isGreaterThan(lastSeq);
                    assertThat(r.timestamp()).isEqualTo(e.getTimestamp().toEpochMilli());
                    lastSeq = e.getSeq();
                }
                assertThat(all.stream().filter(r -> ((TcpEvent) r.value()).getType() == EventType.HEARTBEAT).map(ConsumerRecord::key))
                        .allMatch(host::equals);
                assertThat(natIn.records).allMatch(r -> r.partition() == partition);
                assertThat(agent.metrics().published("events")).isGreaterThanOrEqualTo(all.size());
            }
        }
    }

    @Test
    void withoutBpfItPollsProcAndPublishesProcPollEvents() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Socket held = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
             Socket heldAccepted = server.accept();
             ProducerAgent agent = ProducerAgent.start(options().withBpf(false).withConntrack(null));
             TopicReader eventsIn = new TopicReader(broker.clientConfig(), registry, events)) {
            int serverPort = server.getLocalPort();
            TcpEvent snap = awaitEvent(eventsIn, e -> e.getType() == EventType.SNAPSHOT && isTuple(e, held.getLocalPort(), serverPort));
            assertThat(snap.getSource()).isEqualTo(Source.PROC_POLL);
            assertThat(snap.getCookie()).isNull();
            awaitEvent(eventsIn, e -> e.getType() == EventType.SNAPSHOT_END && e.getSource() == Source.PROC_POLL);

            int newPort;
            try (Socket c = new Socket(InetAddress.getLoopbackAddress(), serverPort); Socket a = server.accept()) {
                newPort = c.getLocalPort();
                TcpEvent connect = awaitEvent(eventsIn, e -> e.getType() == EventType.CONNECT && isTuple(e, newPort, serverPort));
                assertThat(connect.getSource()).isEqualTo(Source.PROC_POLL);
                assertThat(connect.getCookie()).isNull();
                assertThat(connect.getPid()).isEqualTo((int) PID);
                awaitEvent(eventsIn, e -> e.getType() == EventType.ACCEPT && isTuple(e, serverPort, newPort));
            }
            TcpEvent close = awaitEvent(eventsIn, e -> e.getType() == EventType.CLOSE && isTuple(e, newPort, serverPort));
            assertThat(close.getSource()).isEqualTo(Source.PROC_POLL);
            awaitEvent(eventsIn, e -> e.getType() == EventType.HEARTBEAT && e.getSource() == Source.PROC_POLL);
        }
    }

    @Test
    void aLossTriggersOneResyncPerWindow() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Socket held = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
             Socket heldAccepted = server.accept();
             ProducerAgent agent = ProducerAgent.start(options().withConntrack(null)
                     .withIntervals(Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofMillis(200)));
             TopicReader eventsIn = new TopicReader(broker.clientConfig(), registry, events)) {
            TcpEvent first = awaitEvent(eventsIn, e -> e.getType() == EventType.SNAPSHOT_END);
            // the loss path as the hand-off queue reports it (filling the queue for real is timing-dependent)
            agent.lossTracker().lost(LossCause.QUEUE_FULL, 3, "test");
            agent.lossTracker().lost(LossCause.SEND_FAILED, 1, "test");
            TcpEvent again = awaitEvent(eventsIn, e -> e.getType() == EventType.SNAPSHOT_END && !e.getSnapshotId().equals(first.getSnapshotId()));
            // the resync re-sends what is open: the held connection again, under the new snapshot id
            awaitEvent(eventsIn, e -> e.getType() == EventType.SNAPSHOT && again.getSnapshotId().equals(e.getSnapshotId())
                    && isTuple(e, held.getLocalPort(), server.getLocalPort()));
            assertThat(agent.metrics().resyncs()).isEqualTo(1.0); // two losses, one window: one resync
            assertThat(agent.metrics().lostTotal(LossCause.QUEUE_FULL)).isEqualTo(3.0);
            assertThat(agent.metrics().lostTotal(LossCause.SEND_FAILED)).isEqualTo(1.0);
            assertThat(agent.meterRegistry().scrape()).contains("conntrail_producer_lost_total{cause=\"queue_full\"} 3.0",
                    "conntrail_producer_resyncs_total 1.0");
        }
    }

    @Test
    void onceAWindowTheCountersOfOpenSocketsThatMovedGoOutAgain() throws Exception {
        int bytes = 100_000;
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Socket busy = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
             Socket busyAccepted = server.accept();
             Socket idle = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
             Socket idleAccepted = server.accept();
             ProducerAgent agent = ProducerAgent.start(options().withConntrack(null)
                     .withIntervals(Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofMillis(200)));
             TopicReader eventsIn = new TopicReader(broker.clientConfig(), registry, events)) {
            int port = server.getLocalPort();
            List<TcpEvent> seen = new ArrayList<>();
            TcpEvent start = awaitEvent(eventsIn, seen, e -> e.getType() == EventType.SNAPSHOT_END);
            assertThat(seen).filteredOn(e -> e.getType() == EventType.SNAPSHOT && isTuple(e, idle.getLocalPort(), port))
                    .as("the start-up snapshot already carries the counters (the connecting side's SYN)").singleElement()
                    .satisfies(e -> assertThat(e.getCounters()).isNotNull().satisfies(c -> assertThat(c.getBytesAcked()).isEqualTo(1)));
            busy.getOutputStream().write(new byte[bytes]);
            assertThat(busyAccepted.getInputStream().readNBytes(bytes)).hasSize(bytes);

            Predicate<TcpEvent> refresh = e -> e.getType() == EventType.SNAPSHOT && !start.getSnapshotId().equals(e.getSnapshotId());
            awaitEvent(eventsIn, seen, e -> refresh.test(e) && isTuple(e, busy.getLocalPort(), port)
                    && e.getCounters().getBytesAcked() == bytes + 1L);
            awaitEvent(eventsIn, seen, e -> refresh.test(e) && isTuple(e, port, busy.getLocalPort())
                    && e.getCounters().getBytesReceived() == bytes);
            assertThat(seen).as("idle sockets are not sent again").noneMatch(e -> refresh.test(e)
                    && (isTuple(e, idle.getLocalPort(), port) || isTuple(e, port, idle.getLocalPort())));
            assertThat(seen).as("a refresh is no snapshot: no SNAPSHOT_END, no resync")
                    .filteredOn(e -> e.getType() == EventType.SNAPSHOT_END).extracting(TcpEvent::getSnapshotId)
                    .containsOnly(start.getSnapshotId());
            assertThat(agent.metrics().resyncs()).isZero();
            assertThat(agent.metrics().countersRefreshed()).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void natKeysAnEarlierRunLeftAreTombstonedByTheFirstDump() throws Exception {
        // an "earlier run" published an entry (addresses of a namespace that does not exist) and stopped
        Map<String, Object> props = new HashMap<>(broker.clientConfig());
        props.put("schema.registry.url", registry);
        NatEntry stale = NatEntry.newBuilder().setHost(host).setNetns(1L).setZone(0).setTimestamp(java.time.Instant.now())
                .setFamily(dev.conntrail.avro.Family.IPV4).setOrigSrc("10.202.0.1").setOrigSport(40000).setOrigDst("10.202.0.2")
                .setOrigDport(80).setReplySrc("10.202.0.3").setReplySport(8080).setReplyDst("10.202.0.1").setReplyDport(40000)
                .setConntrackId(null).build();
        String staleKey = Keys.of(stale);
        dev.conntrail.schemas.serde.ConfluentAvroSerializer values = new dev.conntrail.schemas.serde.ConfluentAvroSerializer();
        values.configure(props, false);
        try (org.apache.kafka.clients.producer.KafkaProducer<String, Object> p = new org.apache.kafka.clients.producer.KafkaProducer<>(
                EventPublisher.producerProperties(props), new org.apache.kafka.common.serialization.StringSerializer(), values)) {
            p.send(new org.apache.kafka.clients.producer.ProducerRecord<>(natTopic, staleKey, stale)).get();
        }
        try (ProducerAgent agent = ProducerAgent.start(options().withConntrack(ConntrackReader.Scope.ROOT));
             TopicReader natIn = new TopicReader(broker.clientConfig(), registry, natTopic)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> natIn.poll().stream()
                    .anyMatch(r -> r.key().equals(staleKey) && r.value() == null));
            assertThat(agent.meterRegistry().scrape()).contains("conntrail_producer_nat_tombstones_total");
        }
    }

    @Test
    void waitsForMissingTopicsWithoutCreatingThem() throws Exception {
        String missing = "tcp-events-missing-" + suffix;
        AgentOptions o = options().withTopics(missing, natTopic).withConntrack(null).withBpf(false);
        Thread creator = new Thread(() -> {
            try {
                Thread.sleep(2500);
                assertThat(broker.admin().listTopics().names().get()).doesNotContain(missing); // nobody created it
                broker.createTopics(PARTITIONS, missing);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        creator.start();
        long t0 = System.nanoTime();
        try (ProducerAgent agent = ProducerAgent.start(o)) {
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThan(Duration.ofSeconds(2));
            assertThat(agent.isRunning()).isTrue();
        } finally {
            creator.join();
            broker.deleteTopics(missing);
        }
    }

    /** Java's sockets are dual-stack: loopback shows as ::ffff:127.0.0.1 (or 127.0.0.1 with preferIPv4Stack). */
    static boolean isTuple(TcpEvent e, int lport, int rport) {
        return loopback(e.getLaddr()) && loopback(e.getRaddr()) && e.getLport() == lport && e.getRport() == rport;
    }

    private static boolean loopback(String addr) {
        return "127.0.0.1".equals(addr) || "::ffff:127.0.0.1".equals(addr);
    }

    /** Like {@link #awaitEvent(TopicReader, Predicate)}, keeping every record read in {@code seen}. */
    private static TcpEvent awaitEvent(TopicReader in, List<TcpEvent> seen, Predicate<TcpEvent> wanted) {
        return await().atMost(Duration.ofSeconds(10)).until(() -> {
            TcpEvent found = null;
            for (var r : in.poll()) {
                TcpEvent e = (TcpEvent) r.value();
                seen.add(e);
                if (found == null && wanted.test(e)) {
                    found = e;
                }
            }
            return found;
        }, java.util.Objects::nonNull);
    }

    private static TcpEvent awaitEvent(TopicReader in, Predicate<TcpEvent> wanted) {
        return await().atMost(Duration.ofSeconds(10)).until(
                () -> in.poll().stream().map(r -> (TcpEvent) r.value()).filter(wanted).findFirst().orElse(null),
                java.util.Objects::nonNull);
    }
}
