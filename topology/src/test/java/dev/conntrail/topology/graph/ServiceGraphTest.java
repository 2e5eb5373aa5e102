package dev.conntrail.topology.graph;

import static dev.conntrail.avro.ConnectionState.CLOSED;
import static dev.conntrail.avro.ConnectionState.OPEN;
import static dev.conntrail.avro.Direction.INCOMING;
import static dev.conntrail.avro.Direction.OUTGOING;
import static dev.conntrail.topology.graph.GraphFixture.id;
import static dev.conntrail.topology.graph.GraphFixture.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionEdge;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EdgeState;
import dev.conntrail.avro.NatInfo;
import dev.conntrail.avro.TcpCounters;
import dev.conntrail.avro.WorkloadEdge;
import org.junit.jupiter.api.Test;

/** docs/design.md, "The service graph": pairing, NAT on either side, ends alone, tombstones, tuples in two spaces. */
class ServiceGraphTest {
    private static final long NS_A = 4026532001L;
    private static final long NS_B = 4026532002L;

    @Test
    void pairsTheClientsRemoteTupleWithTheServersLocalTuple() {
        try (GraphFixture g = new GraphFixture()) {
            Connection client = row("web-1", NS_A, "curl", OUTGOING, "10.0.0.1", 40000, "10.0.0.2", 80, OPEN, null);
            Connection server = row("db-1", NS_B, "nginx", INCOMING, "10.0.0.2", 80, "10.0.0.1", 40000, OPEN, null);
            g.put(client);
            assertThat(g.edges).isEmpty();
            g.put(server);

            assertThat(g.edges).containsOnlyKeys(id(client) + "|" + id(server));
            ConnectionEdge edge = g.edges.values().iterator().next();
            assertThat(edge.getState()).isEqualTo(EdgeState.OPEN);
            assertThat(edge.getClient().getHost()).isEqualTo("web-1");
            assertThat(edge.getClient().getComm()).isEqualTo("curl");
            assertThat(edge.getServer().getHost()).isEqualTo("db-1");
            assertThat(edge.getServer().getNetns()).isEqualTo(NS_B);
            assertThat(edge.getServer().getPid()).isEqualTo(100);
            assertThat(edge.getServer().getCgroupId()).isEqualTo(5L);
            assertThat(edge.getOpenedAt()).isEqualTo(GraphFixture.T0);
            WorkloadEdge w = g.workloads.get("web-1|db-1|curl|nginx");
            assertThat(w.getOpen()).isEqualTo(1);
            assertThat(w.getTotal()).isEqualTo(1);
        }
    }

    @Test
    void anEdgeCarriesEachEndsContainerAndCounters() {
        try (GraphFixture g = new GraphFixture()) {
            Connection client = row("web-1", NS_A, "curl", OUTGOING, "10.0.0.1", 40000, "10.0.0.2", 80, OPEN, null);
            Connection server = row("db-1", NS_B, "nginx", INCOMING, "10.0.0.2", 80, "10.0.0.1", 40000, OPEN, null);
            client.setContainer("4a6c1e0e1b8c");
            g.put(client);
            g.put(server);
            ConnectionEdge edge = g.edges.values().iterator().next();
            assertThat(edge.getClient().getContainer()).isEqualTo("4a6c1e0e1b8c");
            assertThat(edge.getServer().getContainer()).isNull();
            assertThat(edge.getServer().getCounters()).isNull();

            // a refresh of the server's counters (a SNAPSHOT record with counters changed the row) reaches the edge
            server.setCounters(new TcpCounters(1_000L, 2_000L, 0L, 10L, 12L, 0L, 42L));
            g.put(server);
            edge = g.edges.values().iterator().next();
            assertThat(edge.getServer().getCounters().getBytesReceived()).isEqualTo(2_000L);
            assertThat(edge.getServer().getCounters().getSrttUs()).isEqualTo(42L);
        }
    }

    @Test
    void pairsAndTombstonesWithTheStoresInRocksDb() {
        try (GraphFixture g = new GraphFixture(true)) {
            Connection client = row("web-1", NS_A, "curl", OUTGOING, "10.0.0.1", 40000, "10.0.0.2", 80, OPEN, null);
            Connection server = row("db-1", NS_B, "nginx", INCOMING, "10.0.0.2", 80, "10.0.0.1", 40000, OPEN, null);
            // a neighbour whose meeting key shares the prefix up to the port: 80 vs 8080
            g.put(row("web-1", NS_A, "curl", OUTGOING, "10.0.0.1", 40000, "10.0.0.2", 8080, OPEN, null));
            g.put(client);
            g.put(server);
            assertThat(g.edges).containsOnlyKeys(id(client) + "|" + id(server));
            g.tombstone(server);
            assertThat(g.edges).isEmpty();
        }
    }

    @Test
    void pairsThroughDnatOnTheServersSide() {
        try (GraphFixture g = new GraphFixture()) {
            // the client dials the published address 192.168.1.10:8080; the server's host DNATs it to 10.1.0.5:80
            Connection client = row("web-1", NS_A, "curl", OUTGOING, "192.168.1.20", 40000, "192.168.1.10", 8080, OPEN, null);
            NatInfo dnat = nat("192.168.1.20", 40000, "192.168.1.10", 8080, "10.1.0.5", 80, "192.168.1.20", 40000);
            Connection server = row("db-1", NS_B, "nginx", INCOMING, "10.1.0.5", 80, "192.168.1.20", 40000, OPEN, dnat);
            g.put(server);
            g.put(client);
            assertThat(g.edges).containsOnlyKeys(id(client) + "|" + id(server));
        }
    }

    @Test
    void pairsThroughSnatAndDnatOnTheClientsSide() {
        try (GraphFixture g = new GraphFixture()) {
            // the client dials a service address 10.96.0.10:443; its own host DNATs it to 10.2.0.7:8443 and SNATs it to 192.168.1.20:61000
            NatInfo nat = nat("10.1.0.3", 40000, "10.96.0.10", 443, "10.2.0.7", 8443, "192.168.1.20", 61000);
            Connection client = row("web-1", NS_A, "curl", OUTGOING, "10.1.0.3", 40000, "10.96.0.10", 443, OPEN, nat);
            Connection server = row("api-1", NS_B, "api", INCOMING, "10.2.0.7", 8443, "192.168.1.20", 61000, OPEN, null);
            g.put(client);
            g.put(server);
            assertThat(g.edges).containsOnlyKeys(id(client) + "|" + id(server));
        }
    }

    @Test
    void aNatEntryMatchedAfterTheRowMovesItsEnd() {
        try (GraphFixture g = new GraphFixture()) {
            Connection client = row("web-1", NS_A, "curl", OUTGOING, "192.168.1.20", 40000, "192.168.1.10", 8080, OPEN, null);
            Connection serverBeforeNat = row("db-1", NS_B, "nginx", INCOMING, "10.1.0.5", 80, "192.168.1.20", 40000, OPEN, null);
            g.put(client);
            g.put(serverBeforeNat);
            assertThat(g.edges).isEmpty();
            Connection serverWithNat = row("db-1", NS_B, "nginx", INCOMING, "10.1.0.5", 80, "192.168.1.20", 40000, OPEN,
                    nat("192.168.1.20", 40000, "192.168.1.10", 8080, "10.1.0.5", 80, "192.168.1.20", 40000));
            g.put(serverWithNat);
            assertThat(g.edges).hasSize(1);
        }
    }

    @Test
    void anEndAloneMakesNoEdge() {
        try (GraphFixture g = new GraphFixture()) {
            g.put(row("web-1", NS_A, "curl", OUTGOING, "10.0.0.1", 40000, "93.184.216.34", 443, OPEN, null));
            g.put(row("db-1", NS_B, "nginx", INCOMING, "10.0.0.2", 80, "10.0.0.9", 51000, OPEN, null));
            // two clients of one tuple and no server: still alone, not ambiguous
            g.put(row("web-2", NS_A, "curl", OUTGOING, "10.0.0.1", 40000, "93.184.216.34", 443, OPEN, null));
            assertThat(g.edges).isEmpty();
            assertThat(g.edgeChanges).isZero();
            assertThat(g.workloads).isEmpty();
            assertThat(g.counter("conntrail.topology.graph.ambiguous")).isZero();
        }
    }

    @Test
    void aRowWithoutDirectionMeetsNothing() {
        try (GraphFixture g = new GraphFixture()) {
            g.put(row("web-1", NS_A, "curl", Direction.UNKNOWN, "10.0.0.1", 40000, "10.0.0.2", 80, OPEN, null));
            g.put(row("db-1", NS_B, "nginx", INCOMING, "10.0.0.2", 80, "10.0.0.1", 40000, OPEN, null));
            assertThat(g.edges).isEmpty();
            assertThat(g.counter("conntrail.topology.graph.ends.skipped", "why", "no-role")).isEqualTo(1);
        }
    }

    @Test
    void closesFollowTheEndsAndTheEdgeGoesWithTheFirstRowTombstoned() {
        try (GraphFixture g = new GraphFixture()) {
            Connection client = row("web-1", NS_A, "curl", OUTGOING, "10.0.0.1", 40000, "10.0.0.2", 80, OPEN, null);
            Connection server = row("db-1", NS_B, "nginx", INCOMING, "10.0.0.2", 80, "10.0.0.1", 40000, OPEN, null);
            g.put(client);
            g.put(server);
            Connection clientClosed = row("web-1", NS_A, "curl", OUTGOING, "10.0.0.1", 40000, "10.0.0.2", 80, CLOSED, null);
            g.put(clientClosed);
            ConnectionEdge edge = g.edges.values().iterator().next();
            assertThat(edge.getState()).isEqualTo(EdgeState.CLOSED);
            assertThat(edge.getClosedAt()).isEqualTo(GraphFixture.T0.plusSeconds(1));
            assertThat(g.workloads.get("web-1|db-1|curl|nginx").getOpen()).isZero();

            g.tombstone(clientClosed);
            assertThat(g.edges).isEmpty();
            WorkloadEdge w = g.workloads.get("web-1|db-1|curl|nginx");
            assertThat(w.getOpen()).isZero();
            assertThat(w.getTotal()).isEqualTo(1);
            int changes = g.edgeChanges;
            g.tombstone(server);
            assertThat(g.edgeChanges).isEqualTo(changes); // nothing left to tombstone
        }
    }

    @Test
    void loopbackTuplesMeetOnlyInTheirOwnNamespace() {
        try (GraphFixture g = new GraphFixture()) {
            // the same loopback tuple in two namespaces of one host: two connections, two edges
            for (long ns : new long[] {NS_A, NS_B}) {
                g.put(row("web-1", ns, "client", OUTGOING, "127.0.0.1", 40000, "127.0.0.1", 5432, OPEN, null));
                g.put(row("web-1", ns, "postgres", INCOMING, "127.0.0.1", 5432, "127.0.0.1", 40000, OPEN, null));
            }
            assertThat(g.edges).hasSize(2);
            assertThat(g.edges.values()).allSatisfy(e -> assertThat(e.getClient().getNetns()).isEqualTo(e.getServer().getNetns()));
            assertThat(g.workloads.get("web-1|web-1|client|postgres").getOpen()).isEqualTo(2);
        }
    }

    @Test
    void theSameTupleInTwoAddressSpacesIsAmbiguousNotMispaired() {
        try (GraphFixture g = new GraphFixture()) {
            // two isolated bridges reusing 10.9.0.0/24, each with its client and server: the fleet-wide space cannot tell them apart
            g.put(row("h", NS_A, "c1", OUTGOING, "10.9.0.1", 40000, "10.9.0.2", 80, OPEN, null));
            g.put(row("h", NS_B, "s1", INCOMING, "10.9.0.2", 80, "10.9.0.1", 40000, OPEN, null));
            assertThat(g.edges).hasSize(1);
            g.put(row("h", NS_A + 10, "c2", OUTGOING, "10.9.0.1", 40000, "10.9.0.2", 80, OPEN, null));
            g.put(row("h", NS_B + 10, "s2", INCOMING, "10.9.0.2", 80, "10.9.0.1", 40000, OPEN, null));
            assertThat(g.edges).isEmpty();
            assertThat(g.counter("conntrail.topology.graph.ambiguous")).isPositive();
        }
    }

    @Test
    void aReusedTuplePairsTheNewSocketsOnce() {
        try (GraphFixture g = new GraphFixture()) {
            Connection oldClient = row("web-1", NS_A, "curl", OUTGOING, "10.0.0.1", 40000, "10.0.0.2", 80, CLOSED, null);
            Connection oldServer = row("db-1", NS_B, "nginx", INCOMING, "10.0.0.2", 80, "10.0.0.1", 40000, CLOSED, null);
            g.put(oldClient);
            g.put(oldServer);
            Connection newClient = Connection.newBuilder(row("web-1", NS_A, "curl", OUTGOING, "10.0.0.1", 40000, "10.0.0.2", 80, OPEN, null))
                    .setCookie(8L).setOpenedAt(GraphFixture.T0.plusSeconds(5)).build();
            Connection newServer = Connection.newBuilder(row("db-1", NS_B, "nginx", INCOMING, "10.0.0.2", 80, "10.0.0.1", 40000, OPEN, null))
                    .setCookie(9L).setOpenedAt(GraphFixture.T0.plusSeconds(5)).build();
            g.put(newClient);
            g.put(newServer);
            assertThat(g.edges).containsOnlyKeys(id(newClient) + "|" + id(newServer));
            assertThat(g.workloads.get("web-1|db-1|curl|nginx").getTotal()).isEqualTo(2);
            assertThat(g.workloads.get("web-1|db-1|curl|nginx").getOpen()).isEqualTo(1);
        }
    }

    @Test
    void ipv4MappedServerMeetsAnIpv4Client() {
        try (GraphFixture g = new GraphFixture()) {
            Connection client = row("web-1", NS_A, "curl", OUTGOING, "10.0.0.1", 40000, "10.0.0.2", 80, OPEN, null);
            Connection server = row("db-1", NS_B, "nginx", INCOMING, "::ffff:10.0.0.2", 80, "::ffff:10.0.0.1", 40000, OPEN, null);
            g.put(client);
            g.put(server);
            assertThat(g.edges).hasSize(1);
        }
    }

    @Test
    void aCommWithTheSeparatorIsEscapedInTheWorkloadKey() {
        try (GraphFixture g = new GraphFixture()) {
            g.put(row("web-1", NS_A, "a|b%", OUTGOING, "10.0.0.1", 40000, "10.0.0.2", 80, OPEN, null));
            g.put(row("db-1", NS_B, "nginx", INCOMING, "10.0.0.2", 80, "10.0.0.1", 40000, OPEN, null));
            assertThat(g.workloads).containsOnlyKeys("web-1|db-1|a%7Cb%25|nginx");
            assertThat(g.workloads.get("web-1|db-1|a%7Cb%25|nginx").getClientComm()).isEqualTo("a|b%");
        }
    }

    private static NatInfo nat(String origSrc, int origSport, String origDst, int origDport, String replySrc, int replySport,
            String replyDst, int replyDport) {
        return NatInfo.newBuilder().setNetns(null).setOrigSrc(origSrc).setOrigSport(origSport).setOrigDst(origDst).setOrigDport(origDport)
                .setReplySrc(replySrc).setReplySport(replySport).setReplyDst(replyDst).setReplyDport(replyDport).build();
    }
}
