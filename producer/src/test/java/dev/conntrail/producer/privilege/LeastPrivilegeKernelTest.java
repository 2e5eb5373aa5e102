package dev.conntrail.producer.privilege;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.producer.hosttest.Holders;
import dev.conntrail.producer.hosttest.TwoNamespaces;
import dev.conntrail.producer.snapshot.Snapshot;
import dev.conntrail.producer.snapshot.SocketSnapshotter;
import dev.conntrail.testkit.Root;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The capability table of docs/producer.md ("Capabilities"), checked as a real unprivileged uid with
 * {@code setpriv}: with CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_PTRACE alone (no CAP_SYS_ADMIN,
 * no CAP_DAC_READ_SEARCH) the snapshot takes the iterator path and names every held socket of every
 * namespace with owner and cookie, and the tracer sees connections; without CAP_SYS_PTRACE a socket of
 * another user whose cookie nothing made yet is missing, and the snapshot says so and names the capability.
 * Each case makes a fresh connection (a cookie once made stays). Root only (CI is root).
 */
class LeastPrivilegeKernelTest {
    static final String AGENT_CAPS = "bpf,perfmon,net_admin,sys_ptrace";
    static Unprivileged unprivileged;

    @BeforeAll
    static void setUp() {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root) to change uid and capabilities");
        unprivileged = new Unprivileged();
    }

    @AfterAll
    static void tearDown() {
        if (unprivileged != null) {
            unprivileged.close();
        }
    }

    /**
     * A root-owned holder in namespace A connected to a listener of this JVM in namespace B; nothing made their
     * cookies. New namespaces each time: a time-wait socket left by an earlier case would send a namespace to
     * sock_diag (it may hide an orphaned FIN_WAIT2), which needs CAP_SYS_ADMIN. A process lives in B as in any
     * real namespace: its /proc/PID/net gives B's socket counts without entering B (the listener's JVM is outside).
     */
    record Fresh(TwoNamespaces nets, Process resident, Holders holders, ServerSocketChannel server, SocketChannel accepted,
                 int port, long holderPid) implements AutoCloseable {
        static Fresh connect() throws Exception {
            TwoNamespaces nets = new TwoNamespaces();
            Process resident = new ProcessBuilder("ip", "netns", "exec", nets.b, "sleep", "120")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
            Holders h = new Holders();
            ServerSocketChannel s = TwoNamespaces.listen(nets.b, nets.v4b);
            int port = ((InetSocketAddress) s.getLocalAddress()).getPort();
            long pid = h.connect(nets.a, nets.v4b, port);
            SocketChannel a = s.accept();
            long deadline = System.currentTimeMillis() + 10_000;
            while (!Files.readString(Path.of("/proc/" + pid + "/comm")).trim().equals(Holders.COMM)) {
                assertThat(System.currentTimeMillis()).as("holder execs").isLessThan(deadline);
                Thread.sleep(10);
            }
            return new Fresh(nets, resident, h, s, a, port, pid);
        }

        @Override
        public void close() throws Exception {
            accepted.close();
            server.close();
            holders.close();
            resident.destroyForcibly().waitFor();
            nets.close();
        }
    }

    /** A finished command: its exit code and everything it printed (records and log lines). */
    record Run(int exit, String all) {
        List<String> linesWith(String s) {
            return all.lines().filter(l -> l.contains(s)).toList();
        }
    }

    static Run run(String caps, String... args) throws Exception {
        Process p = unprivileged.start(caps, args);
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("command ends").isTrue();
        return new Run(p.exitValue(), out.get(10, TimeUnit.SECONDS));
    }

    static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void withTheFourAgentCapabilitiesTheSnapshotTakesTheIteratorAndNamesEveryHeldSocket() throws Exception {
        try (Fresh f = Fresh.connect()) {
            Run r = run(AGENT_CAPS, "snapshot", "--format", "json", "--stats");
            assertThat(r.exit()).as(r.all()).isZero();
            assertThat(r.all()).contains("method=BPF_ITER").contains("cookiesGenerated=").doesNotContain("cookiesGenerated=0,");
            // (other namespaces of the host may lack sockets no process holds, which only sock_diag with CAP_SYS_ADMIN reads)
            assertThat(r.all()).doesNotContain("setns(" + f.nets().a + " ").doesNotContain("setns(" + f.nets().b + " ");
            List<String> ours = r.linesWith("\"rport\":" + f.port()).stream().filter(l -> l.contains("\"type\":\"SNAPSHOT\"")).toList();
            assertThat(ours).as("the holder's socket in namespace A").hasSize(1);
            assertThat(ours.get(0)).contains("\"pid\":" + f.holderPid(), "\"comm\":\"" + Holders.COMM + "\"")
                    .doesNotContain("\"cookie\":null");
            assertThat(r.linesWith("\"lport\":" + f.port()).stream().filter(l -> l.contains("\"type\":\"SNAPSHOT\"")))
                    .as("the accepted socket in namespace B, held by this JVM").hasSize(1);
            // the cookies it made are the kernel's: sock_diag (as root) reports the same
            Snapshot diag;
            try (SocketSnapshotter s = new SocketSnapshotter(SocketSnapshotter.Method.SOCK_DIAG)) {
                diag = s.take();
            }
            long cookie = diag.sockets().stream().filter(e -> e.rport() == f.port()).findFirst().orElseThrow().cookie();
            assertThat(ours.get(0)).contains("\"cookie\":" + cookie + ",");
        }
    }

    @Test
    void withoutSysPtraceAnotherUsersFreshSocketIsMissingAndTheSnapshotSaysWhy() throws Exception {
        try (Fresh f = Fresh.connect()) {
            Run r = run("bpf,perfmon,net_admin", "snapshot", "--format", "json", "--stats");
            assertThat(r.exit()).as(r.all()).isZero();
            assertThat(r.all()).contains("method=BPF_ITER").contains("snapshot incomplete").contains("CAP_SYS_PTRACE");
            assertThat(r.linesWith("\"rport\":" + f.port())).as("the holder's socket could not be named").isEmpty();
        }
    }

    @Test
    void withTheFourAgentCapabilitiesTheTracerSeesAConnection() throws Exception {
        Process p = unprivileged.start(AGENT_CAPS, "trace", "--format", "json", "--duration", "20s");
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.contains("tracer attached")) {
                assertThat(line).as("trace as uid 65534 fails").doesNotContain("ERROR").doesNotContain("conntrail trace:");
            }
            assertThat(line).as("the tracer attached").isNotNull().contains("cookies: yes");
            int port;
            try (ServerSocketChannel s = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
                 SocketChannel c = SocketChannel.open(s.getLocalAddress()); SocketChannel a = s.accept()) {
                port = ((InetSocketAddress) s.getLocalAddress()).getPort();
            }
            String connect = null;
            while ((line = out.readLine()) != null) {
                if (line.contains("\"type\":\"CONNECT\"") && line.contains("\"rport\":" + port + ",")) {
                    connect = line;
                    break;
                }
            }
            assertThat(connect).as("CONNECT to our port").isNotNull().contains("\"pid\":" + ProcessHandle.current().pid());
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
