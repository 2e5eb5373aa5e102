package dev.conntrail.producer.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.producer.hosttest.TwoNamespaces;
import dev.conntrail.testkit.Root;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A listener no task holds: python sends its fd over a unix socketpair (SCM_RIGHTS) and closes its
 * own, so the only reference is the message waiting in the pair's queue — the iterator walks fd
 * tables and cannot see it (as with pid 1 of this sandbox, whose fds task iterators never visit).
 * The namespace also has connections its process holds. BPF_ITER must report the listener (no pid)
 * and the held connections, the namespace settled by a LISTEN-only dump (counted in listenerDumps;
 * in this sandbox the root namespace's pid-1 listener adds one too, elsewhere it is this namespace's).
 */
class UnheldListenerKernelTest {
    private static final String HOLDER = String.join("\n",
            "import socket, time",
            "a, b = socket.socketpair()",
            "l = socket.socket(); l.bind(('127.0.0.1', 7411)); l.listen()",
            "socket.send_fds(a, [b'x'], [l.fileno()]); l.close()",
            "s = socket.socket(); s.bind(('127.0.0.1', 7412)); s.listen()",
            "c = socket.create_connection(('127.0.0.1', 7412)); d, _ = s.accept()",
            "print('ready', flush=True)",
            "time.sleep(60)");

    @Test
    void listenerHeldByNoTaskIsReportedWithoutAFullDump() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        try (TwoNamespaces nets = new TwoNamespaces()) {
            Process p = new ProcessBuilder("ip", "netns", "exec", nets.a, "python3", "-c", HOLDER)
                    .redirectErrorStream(true).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                assertThat(out.readLine()).isEqualTo("ready");
                long netns = TwoNamespaces.inode(nets.a);
                try (SocketSnapshotter s = new SocketSnapshotter(SocketSnapshotter.Method.BPF_ITER)) {
                    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                        Snapshot snap = s.take();
                        List<Listener> ls = snap.listeners().stream().filter(l -> l.netns() == netns).toList();
                        assertThat(ls).anySatisfy(l -> {
                            assertThat(l.lport()).isEqualTo(7411);
                            assertThat(l.pid()).isNull();
                            assertThat(l.owners()).isZero();
                            assertThat(l.cookie()).isNotNull();
                        });
                        assertThat(ls).anySatisfy(l -> {
                            assertThat(l.lport()).isEqualTo(7412);
                            assertThat(l.pid()).isEqualTo((int) p.pid());
                        });
                        List<SocketEntry> conns = snap.sockets().stream().filter(e -> e.netns() == netns).toList();
                        assertThat(conns).hasSize(2).allSatisfy(e -> assertThat(e.pid()).isEqualTo((int) p.pid()));
                        assertThat(conns).extracting(SocketEntry::direction)
                                .containsExactlyInAnyOrder(dev.conntrail.avro.Direction.INCOMING, dev.conntrail.avro.Direction.OUTGOING);
                        assertThat(snap.stats().listenerDumps()).isPositive();
                    });
                }
            } finally {
                p.destroyForcibly().waitFor();
            }
        }
    }
}
