package dev.conntrail.producer.conntrack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.producer.hosttest.Sh;
import dev.conntrail.producer.ns.NetnsDiscovery;
import dev.conntrail.testkit.Root;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * ENOBUFS for real (root; CI runs as root): in a test-created namespace, an event socket with a
 * tiny receive buffer, a reader paused inside the listener, and a burst of NAT entries inserted
 * with {@code conntrack -I}: the kernel drops events, the reader counts ENOBUFS and hands over a
 * fresh dump that holds every inserted entry.
 */
class ConntrackEnobufsKernelTest {
    static final int ENTRIES = 200;

    @Test
    void lostEventsAreCountedAndAnsweredWithAFreshDump() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        String ns = "ct-enobufs-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        Path onlyThis = Files.createTempDirectory("ct-enobufs");
        Path noProc = Files.createTempDirectory("ct-noproc");
        Sh.run("ip", "netns", "add", ns);
        try {
            Files.createSymbolicLink(onlyThis.resolve(ns), Path.of("/run/netns", ns)); // discovery sees only this namespace
            CountDownLatch paused = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            List<List<ConntrackEntry>> resyncs = new CopyOnWriteArrayList<>();
            try (ConntrackReader reader = new ConntrackReader(ConntrackReader.Scope.ALL, new NetnsDiscovery(noProc, onlyThis))) {
                assertThat(reader.namespaces()).hasSize(1);
                reader.eventReceiveBuffer(4096); // the kernel's minimum is about twice that
                reader.subscribe(new ConntrackListener() {
                    @Override
                    public void created(ConntrackEntry entry) {
                        paused.countDown();
                        try {
                            release.await(20, TimeUnit.SECONDS); // the reader stops here: the socket fills
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }

                    @Override
                    public void destroyed(ConntrackEntry entry) {
                    }

                    @Override
                    public void resynced(long netns, List<ConntrackEntry> freshDump) {
                        resyncs.add(freshDump);
                    }
                });
                Sh.run("ip", "netns", "exec", ns, "bash", "-c", "for i in $(seq 1 " + ENTRIES + "); do conntrack -I -p tcp"
                        + " -s 10.77.0.1 -d 10.77.0.2 --sport $((10000+i)) --dport 80 -r 10.77.0.3 -q 10.77.0.1"
                        + " --reply-port-src 8080 --reply-port-dst $((10000+i)) --state ESTABLISHED -t 120 -u SEEN_REPLY"
                        + " >/dev/null 2>&1 || exit 1; done");
                assertThat(paused.await(10, TimeUnit.SECONDS)).as("the reader got the first event").isTrue();
                release.countDown();
                await().atMost(Duration.ofSeconds(10)).until(() -> reader.counters().enobufs.get() > 0 && !resyncs.isEmpty());
                assertThat(resyncs.get(0)).hasSizeGreaterThanOrEqualTo(ENTRIES)
                        .allSatisfy(e -> assertThat(e.natTranslated()).isTrue());
                assertThat(reader.counters().natEvents.get()).isLessThan(ENTRIES); // events really were lost
            }
        } finally {
            Sh.quiet("ip", "netns", "del", ns);
            Files.deleteIfExists(onlyThis.resolve(ns));
            Files.deleteIfExists(onlyThis);
            Files.deleteIfExists(noProc);
        }
    }
}
