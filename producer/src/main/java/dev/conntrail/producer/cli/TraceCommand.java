package dev.conntrail.producer.cli;

import dev.conntrail.avro.TcpCounters;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.cli.CountersText;
import dev.conntrail.cli.HostIds;
import dev.conntrail.cli.OutputFormat;
import dev.conntrail.cli.RunOptions;
import dev.conntrail.cli.TerminalText;
import dev.conntrail.producer.bpf.tracer.AcceptPidMode;
import dev.conntrail.producer.bpf.tracer.Tracer;
import dev.conntrail.producer.bpf.tracer.TracerCounters;
import dev.conntrail.producer.bpf.tracer.TracerOptions;
import dev.conntrail.producer.container.ContainerIds;
import dev.conntrail.producer.container.ContainerResolver;
import dev.conntrail.schemas.RecordJson;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code conntrail trace}: kernel TCP events (connect, accept, close) as they happen; no Kafka. */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = {"Kernel TCP events (connect, accept, close) as they happen; no Kafka.",
            "Hooks sock:inet_sock_set_state (tp_btf, with socket cookies; else the classic tracepoint, without).",
            "Needs root or CAP_BPF + CAP_PERFMON and a kernel with BTF. If BPF is unavailable it exits 1 with one line"
                    + " saying why."},
        footer = {"", "ACCEPT pid modes (--accept-pid):",
            "  default  The process that called listen() on the listening socket.",
            "           Costs nothing elsewhere. Right when the listening process",
            "           accepts; names the listen() caller (often the parent) for",
            "           pre-fork worker pools, SO_REUSEPORT groups, socket activation",
            "           and fd passing.",
            "  exact    The process whose accept()/accept4() returned the socket.",
            "           Adds the accept syscall-exit tracepoints, which put every",
            "           syscall of every task on the host on the slow path (measured",
            "           here: getpid +25%%). io_uring accepts and 32-bit tasks are not",
            "           seen: their ACCEPT goes out without pid when the socket",
            "           closes or after 2 s.",
            "", "Counters (events, losses) are printed on stderr at exit."})
public final class TraceCommand implements Callable<Integer> {
    @Mixin
    RunOptions run;

    @Option(names = "--accept-pid", paramLabel = "MODE", defaultValue = "default",
            description = "How ACCEPTs get their pid: default (listen() caller, free) or exact (accept() caller, taxes every syscall). Default: ${DEFAULT-VALUE}.")
    String acceptPid;

    @Option(names = "--pid", paramLabel = "PID", description = "Only events of this process (CLOSE events carry no pid and are not shown).")
    Integer pid;

    @Option(names = "--port", paramLabel = "PORT", description = "Only events whose local or remote port is this.")
    Integer port;

    @Option(names = "--netns", paramLabel = "INODE", description = "Only events of this network namespace (inode of /proc/PID/ns/net).")
    Long netns;

    @Option(names = "--ring-buffer-size", paramLabel = "BYTES", defaultValue = "0", hidden = true,
            description = "BPF ring buffer size per CPU (power of two; 0: 4 MiB up to 8 CPUs, less beyond, at least 1 MiB).")
    int ringBufferBytes;

    @Option(names = "--wakeup-bytes", paramLabel = "BYTES", defaultValue = "-1", hidden = true,
            description = "Wake the reader when this much data waits (0: every record; default: the tracer's).")
    int wakeupBytes;

    @Option(names = "--classic-tracepoint", hidden = true, description = "Do not try tp_btf (no cookies); tests the fallback.")
    boolean classic;

    @Option(names = "--discard", hidden = true, description = "Decode events but print none; print the counters at exit (benchmarks).")
    boolean discard;

    @Option(names = "--reader", hidden = true, defaultValue = "mmap", description = "Ring buffer reader: mmap or libbpf (benchmarks).")
    String reader;

    @Option(names = "--toggle-attach", paramLabel = "DURATION", converter = dev.conntrail.cli.DurationConverter.class, hidden = true,
            description = "Detach and re-attach the state program every DURATION, printing each switch's CLOCK_MONOTONIC time"
                    + " on stderr (benchmarks: bench/tracer_toggle.py; default accept-pid mode).")
    Duration toggleAttach;

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS").withZone(ZoneId.systemDefault());

    @Override
    public Integer call() throws Exception {
        AcceptPidMode mode = switch (acceptPid.toLowerCase()) {
            case "default" -> AcceptPidMode.DEFAULT;
            case "exact" -> AcceptPidMode.EXACT;
            default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--accept-pid must be default or exact, not " + acceptPid);
        };
        TracerOptions options = TracerOptions.defaults(HostIds.defaultHostId(), System.currentTimeMillis())
                .withAcceptPid(mode)
                .withRingBuffer(ringBufferBytes, wakeupBytes >= 0 ? wakeupBytes : TracerOptions.defaults("", 0).wakeupBytes())
                .withTpBtf(!classic)
                .withLibbpfReader("libbpf".equals(reader));
        Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        boolean json = run.format == OutputFormat.json;
        if (!json && !discard) {
            out.write(String.format("%-15s %-7s %7s %7s %-15s %6s %10s %-40s %-40s %-20s %6s %6s %4s %6s %s%n", "TIME", "TYPE", "PID",
                    "TID", "COMM", "UID", "NETNS", "LOCAL", "REMOTE", "COOKIE", "SENT", "RCVD", "RETR", "RTT", "CONTAINER"));
            out.flush();
        }
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        ContainerResolver containers = new ContainerResolver();
        Tracer tracer = Tracer.start(options, e -> print(out, e, json, containers));
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                finished.await(5, TimeUnit.SECONDS); // let main detach, flush and print the counters
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "conntrail-trace-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            long lastCounters = System.nanoTime();
            long deadline = run.duration == null ? Long.MAX_VALUE : System.nanoTime() + run.duration.toNanos();
            long nextToggle = toggleAttach == null ? Long.MAX_VALUE : System.nanoTime() + toggleAttach.toNanos();
            boolean attached = true;
            while (System.nanoTime() < deadline) {
                long wait = Math.min(deadline, nextToggle) - System.nanoTime();
                if (stop.await(Math.min(200, Math.max(1, wait / 1_000_000)), TimeUnit.MILLISECONDS)) {
                    break;
                }
                if (System.nanoTime() >= nextToggle) {
                    attached = !attached;
                    tracer.setAttached(attached);
                    // System.nanoTime is CLOCK_MONOTONIC here, the clock bench/churn.c's ticks use
                    System.err.println("conntrail trace: " + (attached ? "attached" : "detached") + " at " + System.nanoTime());
                    nextToggle += toggleAttach.toNanos();
                }
                synchronized (out) {
                    out.flush();
                }
                if (discard && System.nanoTime() - lastCounters > 1_000_000_000L) {
                    System.err.println("conntrail trace: " + tracer.counters()); // benchmarks read these
                    lastCounters = System.nanoTime();
                }
            }
        } finally {
            tracer.close();
            synchronized (out) {
                out.flush();
            }
            TracerCounters c = tracer.counters();
            System.err.println("conntrail trace: " + c);
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // already stopping
            }
        }
        return 0;
    }

    private boolean wanted(TcpEvent e) {
        if (pid != null && !pid.equals(e.getPid())) {
            return false;
        }
        if (port != null && !port.equals(e.getLport()) && !port.equals(e.getRport())) {
            return false;
        }
        return netns == null || netns.equals(e.getNetns());
    }

    private void print(Writer out, TcpEvent e, boolean json, ContainerResolver containers) {
        if (discard || !wanted(e)) {
            return;
        }
        containers.tag(e);
        String line = json ? RecordJson.toJson(e) : table(e);
        synchronized (out) {
            try {
                out.write(line);
                out.write('\n');
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    }

    /** One table line; the process name is anyone's choice, so every text goes through {@link TerminalText#cell}. */
    static String table(TcpEvent e) {
        TcpCounters k = e.getCounters(); // CLOSE only
        return String.format("%-15s %-7s %7s %7s %-15s %6s %10s %-40s %-40s %-20s %6s %6s %4s %6s %s", TIME.format(e.getTimestamp()),
                e.getType(), orDash(e.getPid()), orDash(e.getTid()), orDash(e.getComm()), orDash(e.getUid()), orDash(e.getNetns()),
                endpoint(e.getLaddr(), e.getLport()), endpoint(e.getRaddr(), e.getRport()), orDash(e.getCookie()),
                CountersText.bytes(k == null ? null : k.getBytesAcked()), CountersText.bytes(k == null ? null : k.getBytesReceived()),
                orDash(k == null ? null : k.getTotalRetrans()), CountersText.rtt(k == null ? null : k.getSrttUs()),
                orDash(ContainerIds.shortForm(e.getContainer())));
    }

    private static String endpoint(String addr, Integer port) {
        return (addr.indexOf(':') >= 0 ? "[" + TerminalText.cell(addr) + "]" : TerminalText.cell(addr)) + ":" + port;
    }

    private static String orDash(Object o) {
        return TerminalText.cell(o, "-");
    }

}
