package dev.conntrail.producer.conntrack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.producer.hosttest.Holders;
import dev.conntrail.producer.hosttest.TwoNamespaces;
import dev.conntrail.testkit.Root;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Real conntrack (root; CI runs as root): namespace B has an nftables DNAT rule (port 80 → the
 * listener's port); a holder in namespace A connects to B:80 over the veth. The reader must see the
 * NEW event and the dumped entry with both tuples, then the DESTROY after `conntrack -D`, and the
 * next dump must not hold it.
 */
class ConntrackReaderKernelTest {
    @Test
    void seesNatEntryWithBothTuplesThenItsDestroy() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        try (TwoNamespaces nets = new TwoNamespaces(); Holders holders = new Holders()) {
            long nsB = TwoNamespaces.inode(nets.b);
            ServerSocketChannel server = nets.dnatPort80ToListenerInB();
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            Recording events = new Recording();
            List<ConntrackEntry> created = events.created;
            List<ConntrackEntry> destroyed = events.destroyed;
            try (ConntrackReader reader = new ConntrackReader(ConntrackReader.Scope.ALL); server) {
                reader.subscribe(events);
                holders.connect(nets.a, nets.v4b, 80);
                try (SocketChannel accepted = server.accept()) {
                    ConntrackEntry want = dnatEntry(nets, nsB, accepted, port);
                    await().atMost(Duration.ofSeconds(5)).until(() -> created.stream().anyMatch(e -> sameTuples(e, want)));
                    List<ConntrackEntry> dump = reader.dump();
                    assertThat(dump).filteredOn(e -> sameTuples(e, want)).singleElement().satisfies(e -> {
                        assertThat(e.natTranslated()).isTrue();
                        assertThat(e.conntrackId()).isNotNull();
                        assertThat(e.toNatEntry("h", 1L).getReplySport()).isEqualTo(port);
                    });
                    // only NAT-translated TCP entries: nothing of this namespace with an untranslated tuple
                    assertThat(dump).filteredOn(e -> e.netns() == nsB).allMatch(ConntrackEntry::natTranslated);

                    TwoNamespaces.netnsExec(nets.b, "conntrack", "-D", "-p", "tcp", "--orig-port-dst", "80");
                    await().atMost(Duration.ofSeconds(5)).until(() -> destroyed.stream().anyMatch(e -> sameTuples(e, want)));
                    assertThat(reader.dump()).noneMatch(e -> sameTuples(e, want));
                    assertThat(reader.counters().enobufs.get()).isZero();
                    assertThat(reader.counters().malformed.get()).isZero();
                }
            }
        }
    }

    /**
     * Namespaces created after subscribe (containers started later): the watcher must give the new
     * namespace an event reader — the NEW event arrives through events, not through a dump — and must
     * close that reader once the namespace is deleted (our socket would keep it alive otherwise).
     */
    @Test
    void namespaceCreatedAfterSubscribeGetsEventsAndIsReleasedWhenDeleted() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        Recording events = new Recording();
        List<ConntrackEntry> created = events.created;
        List<Long> addedNamespaces = events.addedNamespaces;
        try (ConntrackReader reader = new ConntrackReader(ConntrackReader.Scope.ALL)) {
            reader.rescanMillis(200);
            reader.subscribe(events);
            long nsB;
            try (TwoNamespaces nets = new TwoNamespaces(); Holders holders = new Holders()) {
                nsB = TwoNamespaces.inode(nets.b);
                await().atMost(Duration.ofSeconds(10)).until(() -> reader.subscribedNamespaces().contains(nsB));
                // its first dump is handed over after its reader is registered (reader first, then the dump)
                await().atMost(Duration.ofSeconds(10)).until(() -> addedNamespaces.contains(nsB));
                ServerSocketChannel server = nets.dnatPort80ToListenerInB();
                int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
                try (server) {
                    holders.connect(nets.a, nets.v4b, 80);
                    try (SocketChannel accepted = server.accept()) {
                        ConntrackEntry want = dnatEntry(nets, nsB, accepted, port);
                        await().atMost(Duration.ofSeconds(5)).until(() -> created.stream().anyMatch(e -> sameTuples(e, want)));
                    }
                }
                assertThat(reader.counters().namespacesAdded.get()).isGreaterThanOrEqualTo(2); // A and B
            }
            // the namespaces are deleted and their processes gone: the readers must stop
            await().atMost(Duration.ofSeconds(10)).until(() -> !reader.subscribedNamespaces().contains(nsB));
            assertThat(reader.counters().namespacesReleased.get()).isGreaterThanOrEqualTo(1);
        }
    }

    /** The entry B's namespace keeps for the accepted connection from A to B's port 80, DNATed to {@code port}. */
    static ConntrackEntry dnatEntry(TwoNamespaces nets, long nsB, SocketChannel accepted, int port) throws java.io.IOException {
        int clientPort = ((InetSocketAddress) accepted.getRemoteAddress()).getPort();
        return new ConntrackEntry(nsB, 0, false, nets.v4a, clientPort, nets.v4b, 80, nets.v4b, port, nets.v4a, clientPort, null);
    }

    /** What the reader delivered, in order per kind. */
    static final class Recording implements ConntrackListener {
        final List<ConntrackEntry> created = new CopyOnWriteArrayList<>();
        final List<ConntrackEntry> destroyed = new CopyOnWriteArrayList<>();
        final List<Long> addedNamespaces = new CopyOnWriteArrayList<>();

        @Override
        public void created(ConntrackEntry e) {
            created.add(e);
        }

        @Override
        public void destroyed(ConntrackEntry e) {
            destroyed.add(e);
        }

        @Override
        public void resynced(long netns, List<ConntrackEntry> freshDump) {
        }

        @Override
        public void namespaceAdded(long netns, List<ConntrackEntry> firstDump) {
            addedNamespaces.add(netns);
        }
    }

    static boolean sameTuples(ConntrackEntry a, ConntrackEntry b) {
        return a.netns() == b.netns() && a.zone() == b.zone() && a.ipv6() == b.ipv6()
                && a.origSrc().equals(b.origSrc()) && a.origSport() == b.origSport() && a.origDst().equals(b.origDst())
                && a.origDport() == b.origDport() && a.replySrc().equals(b.replySrc()) && a.replySport() == b.replySport()
                && a.replyDst().equals(b.replyDst()) && a.replyDport() == b.replyDport();
    }
}
