package dev.conntrail.app.faults;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child process (python3) that listens on a loopback port and holds both ends of quiet TCP connections to it:
 * {@link #open} adds held ones, {@link #closeHeld} closes some of them, {@link #churn} opens and closes some, {@link #burst}
 * opens and closes many back to back (holding some). Each connection is named by its client port.
 */
final class HeldConnections implements AutoCloseable {
    private static final String SCRIPT = String.join("\n",
            "import json, socket, sys, time",
            "srv = socket.socket()",
            "srv.bind(('127.0.0.1', 0))",
            "srv.listen(256)",
            "port = srv.getsockname()[1]",
            "held = []",
            "def pair():",
            "    c = socket.create_connection(('127.0.0.1', port))",
            "    a, _ = srv.accept()",
            "    return c, a",
            "def say(kind, ports):",
            "    print(json.dumps({'kind': kind, 'port': port, 'clients': ports}), flush=True)",
            "def hold(n):",
            "    ps = []",
            "    for _ in range(n):",
            "        c, a = pair()",
            "        held.append((c, a))",
            "        ps.append(c.getsockname()[1])",
            "    return ps",
            "say('held', hold(int(sys.argv[1])))",
            "for line in sys.stdin:",
            "    args = line.split()",
            "    cmd, n = args[0], int(args[1])",
            "    if cmd == 'open':",
            "        say('open', hold(n))",
            "    elif cmd == 'churn':",
            "        ps = []",
            "        for _ in range(n):",
            "            c, a = pair()",
            "            ps.append(c.getsockname()[1])",
            "            time.sleep(0.05)",
            "            c.close()",
            "            a.close()",
            "        say('churn', ps)",
            "    elif cmd == 'close':",
            "        ps = []",
            "        for _ in range(n):",
            "            c, a = held.pop(0)",
            "            ps.append(c.getsockname()[1])",
            "            c.close()",
            "            a.close()",
            "        say('close', ps)",
            "    elif cmd == 'burst':",
            "        every = int(args[2])",
            "        ps = []",
            "        hs = []",
            "        for i in range(n):",
            "            c, a = pair()",
            "            if i % every == every - 1:",
            "                held.append((c, a))",
            "                hs.append(c.getsockname()[1])",
            "            else:",
            "                ps.append(c.getsockname()[1])",
            "                c.close()",
            "                a.close()",
            "        say('burst', ps)",
            "        say('open', hs)",
            "");

    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    final int port;
    /** Client ports of the connections held now. */
    final List<Integer> held = new ArrayList<>();

    HeldConnections(int n) throws IOException {
        process = new ProcessBuilder("python3", "-c", SCRIPT, String.valueOf(n)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Reply r = reply();
        port = r.port;
        held.addAll(r.clients);
    }

    private record Reply(int port, List<Integer> clients) {
    }

    private Reply reply() throws IOException {
        String line = out.readLine();
        if (line == null) throw new IOException("the connection holder died");
        int port = Integer.parseInt(line.replaceAll(".*\"port\": (\\d+).*", "$1"));
        List<Integer> clients = new ArrayList<>();
        String list = line.replaceAll(".*\"clients\": \\[([^]]*)].*", "$1").trim();
        if (!list.isEmpty()) for (String p : list.split(",\\s*")) clients.add(Integer.parseInt(p.trim()));
        return new Reply(port, clients);
    }

    /** Sends the child one command; the client ports of its reply. */
    private List<Integer> ask(String command) throws IOException {
        in.write(command + "\n");
        in.flush();
        return reply().clients;
    }

    /** Opens and holds {@code n} more connections; their client ports. */
    synchronized List<Integer> open(int n) throws IOException {
        List<Integer> ports = ask("open " + n);
        held.addAll(ports);
        return ports;
    }

    /** Opens and closes {@code n} connections, one after the other; their client ports. */
    synchronized List<Integer> churn(int n) throws IOException {
        return ask("churn " + n);
    }

    /** Closes the {@code n} longest held connections; their client ports. */
    synchronized List<Integer> closeHeld(int n) throws IOException {
        List<Integer> ports = ask("close " + n);
        held.removeAll(ports);
        return ports;
    }

    /**
     * Opens {@code n} connections back to back, as fast as the child can, and closes each at once, except every
     * {@code holdEvery}-th, which it holds. Returns the client ports of those closed; the held ones join {@link #held}.
     */
    synchronized List<Integer> burst(int n, int holdEvery) throws IOException {
        List<Integer> closed = ask("burst " + n + " " + holdEvery);
        held.addAll(reply().clients);
        return closed;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
