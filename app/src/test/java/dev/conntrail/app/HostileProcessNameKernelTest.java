package dev.conntrail.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.testkit.Root;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A local user names a process with terminal escape sequences (prctl PR_SET_NAME) and holds a TCP connection:
 * {@code snapshot} and {@code trace} in table format, run as the real command in a JVM of its own with the
 * shipped logback.xml, print the name visibly escaped and never write a control byte to the terminal; the
 * {@code table} view (also {@code local}'s) does the same with a row that carries it. Root (CI is root): BPF for
 * {@code trace}, every process's fds for {@code snapshot}.
 */
class HostileProcessNameKernelTest {
    /** ESC [ 2 J (clear screen), ESC ] 0 ; pwn BEL (set the window title), U+009B (C1 CSI), DEL: 15 bytes, comm's limit. */
    static final byte[] COMM = {0x1b, '[', '2', 'J', 0x1b, ']', '0', ';', 'p', 'w', 'n', 0x07, (byte) 0xc2, (byte) 0x9b, 0x7f};
    static final String SHOWN = "\\x1b[2J\\x1b]0;pwn\\x07\\x9b\\x7f";
    /** Renames itself, connects to 127.0.0.1:PORT, says so, and holds the connection until its stdin closes. */
    static final String HOLDER = String.join("\n",
            "import ctypes, socket, sys",
            "ctypes.CDLL(None).prctl(15, bytes.fromhex(sys.argv[2]), 0, 0, 0)",
            "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))",
            "print('connected', s.getsockname()[1], flush=True)",
            "sys.stdin.read()");

    @Test
    void snapshotShowsTheNameEscapedAndNoControlByte() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root) to read every process's sockets");
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             Holder holder = new Holder(server.getLocalPort()); Socket accepted = server.accept()) {
            ChildConntrail.Run run = ChildConntrail.run(120, "snapshot", "--format", "table");
            assertThat(run.exit()).as(run.err()).isZero();
            List<String> ours = run.outLines().stream().filter(l -> l.contains("127.0.0.1:" + holder.localPort)
                    && l.contains("127.0.0.1:" + server.getLocalPort()) && l.contains(" " + holder.pid + " ")).toList();
            assertThat(ours).as(run.out()).hasSize(1);
            assertThat(ours.get(0)).contains(SHOWN);
            assertNoControlBytes(run.stdout(), "stdout");
            assertNoControlBytes(run.stderr(), "stderr");
        }
    }

    @Test
    void traceShowsTheNameEscapedAndNoControlByte() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root) to load the tracer");
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            Process trace = ChildConntrail.start("trace", "--format", "table", "--port", Integer.toString(port), "--duration", "60s");
            CompletableFuture<byte[]> stdout = CompletableFuture.supplyAsync(() -> ChildConntrail.readAll(trace.getInputStream()));
            ByteArrayOutputStream stderr = new ByteArrayOutputStream();
            try (BufferedReader err = new BufferedReader(new InputStreamReader(trace.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = err.readLine()) != null && !line.contains("tracer attached")) {
                    stderr.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                }
                assertThat(line).as("trace attaches; its log: %s", stderr).isNotNull();
                try (Holder holder = new Holder(port); Socket accepted = server.accept()) {
                    // the CONNECT is printed as it happens; the holder's end is ours to find in the output below
                    Thread.sleep(1500);
                    trace.toHandle().destroy(); // SIGTERM (keeps our ends of its pipes open): trace detaches, flushes, exits
                    assertThat(trace.waitFor(30, TimeUnit.SECONDS)).as("trace stops on SIGTERM").isTrue();
                    byte[] out = stdout.get(10, TimeUnit.SECONDS);
                    while ((line = err.readLine()) != null) {
                        stderr.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                    }
                    String text = new String(out, StandardCharsets.UTF_8);
                    List<String> connect = text.lines().filter(l -> l.contains("CONNECT") && l.contains(":" + holder.localPort + " ")).toList();
                    assertThat(connect).as(text).hasSize(1);
                    assertThat(connect.get(0)).contains(" " + holder.pid + " ").contains(SHOWN);
                    assertNoControlBytes(out, "stdout");
                    assertNoControlBytes(stderr.toByteArray(), "stderr");
                }
            } finally {
                trace.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void tableViewShowsARowsNameEscaped() {
        TableCommand.TableView view = new TableCommand.TableView();
        Connection row = Connection.newBuilder().setHost("h\u001b[1mx").setNetns(1L).setFamily(Family.IPV4).setLaddr("10.0.0.1").setLport(1)
                .setRaddr("10.0.0.2\u0007").setRport(2).setDirection(Direction.OUTGOING).setPid(7)
                .setComm(new String(COMM, StandardCharsets.UTF_8)).setState(ConnectionState.OPEN).setUpdatedAt(Instant.ofEpochMilli(1))
                .setSource(Source.EBPF).build();
        view.apply("id", row);
        String shown = view.render(10, "connections");
        assertThat(shown).contains(SHOWN, "h\\x1b[1mx", "10.0.0.2\\x07:2");
        assertNoControlBytes(shown.getBytes(StandardCharsets.UTF_8), "table");
    }

    /** Bytes a terminal acts on: C0 but newline, DEL, and C1 (U+0080–U+009F, C2 80–C2 9F in UTF-8). */
    static void assertNoControlBytes(byte[] out, String what) {
        for (int i = 0; i < out.length; i++) {
            int b = out[i] & 0xff;
            assertThat(b == '\n' || (b >= 0x20 && b != 0x7f)).as("%s byte %d is 0x%02x", what, i, b).isTrue();
            if (b == 0xc2 && i + 1 < out.length) {
                int next = out[i + 1] & 0xff;
                assertThat(next >= 0x80 && next <= 0x9f).as("%s has a C1 control at byte %d", what, i).isFalse();
            }
        }
    }

    /** The hostile process: renamed, connected to {@code port}, holding the connection. */
    static final class Holder implements AutoCloseable {
        final Process process;
        final long pid;
        final int localPort;

        Holder(int port) throws IOException {
            Path script = Files.createTempFile("hostile", ".py");
            Files.writeString(script, HOLDER);
            script.toFile().deleteOnExit();
            StringBuilder hex = new StringBuilder();
            for (byte b : COMM) {
                hex.append(String.format("%02x", b & 0xff));
            }
            process = new ProcessBuilder("python3", script.toString(), Integer.toString(port), hex.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            pid = process.pid();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertThat(line).as("the holder connects").isNotNull().startsWith("connected ");
            localPort = Integer.parseInt(line.substring("connected ".length()).trim());
            assertThat(Files.readAllBytes(Path.of("/proc/" + pid + "/comm"))).as("renamed").startsWith(COMM);
        }

        @Override
        public void close() throws Exception {
            process.getOutputStream().close();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

}
