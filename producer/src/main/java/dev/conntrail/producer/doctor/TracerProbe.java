package dev.conntrail.producer.doctor;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.bpf.libbpf.BpfUnavailableException;
import dev.conntrail.producer.bpf.tracer.Tracer;
import dev.conntrail.producer.bpf.tracer.TracerOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The tracer as the agent starts it: {@link Tracer#start} with the default options (tp_btf, else the classic
 * tracepoint), one loopback connection while it is attached (its CONNECT must come through the ring buffer),
 * then close.
 */
final class TracerProbe {
    static final String POLL_COST = "no eBPF: the agent polls /proc every --poll-interval (source PROC_POLL): no socket"
            + " cookies, connections shorter than the interval are missed, snapshots from /proc/PID/net/tcp";
    private static final long EVENT_WAIT_MILLIS = 3_000;

    private TracerProbe() {
    }

    /** What the agent's events would come from: tp_btf, the classic tracepoint, /proc polling, or a start failure. */
    enum Events { tp_btf, tracepoint, proc_poll, error }

    record Result(List<Check> checks, Events events, String programs) {
        boolean loaded() {
            return events == Events.tp_btf || events == Events.tracepoint;
        }
    }

    static Result run() {
        int self = (int) ProcessHandle.current().pid();
        AtomicReference<TcpEvent> seen = new AtomicReference<>();
        CountDownLatch arrived = new CountDownLatch(1);
        AtomicInteger port = new AtomicInteger(-1);
        Tracer tracer;
        try {
            tracer = Tracer.start(TracerOptions.defaults("doctor", System.currentTimeMillis()), e -> {
                if (e.getType() == EventType.CONNECT && e.getRport() != null && e.getRport() == port.get()
                        && e.getPid() != null && e.getPid() == self && seen.compareAndSet(null, e)) {
                    arrived.countDown();
                }
            });
        } catch (BpfUnavailableException e) {
            return new Result(List.of(
                    Check.loss("tracer", Status.unavailable, "not loaded: " + shortMessage(e),
                            POLL_COST, fix(e.reason())).withDetail(e.getMessage()),
                    Check.note("ring buffer", Status.unavailable, "not tried: the tracer did not load",
                            "no eBPF events (see tracer)", "see tracer")), Events.proc_poll, null);
        } catch (RuntimeException | LinkageError e) {
            // the agent falls back to /proc only on BpfUnavailableException: anything else stops it at start
            String msg = String.valueOf(e.getMessage());
            return new Result(List.of(
                    Check.loss("tracer", Status.unavailable, "failed: " + e.getClass().getSimpleName() + ": " + msg,
                            "the agent stops at start with this error (it falls back to /proc only when BPF is unavailable)",
                            "run the agent with --no-bpf (/proc polling) and report the error").withDetail(msg),
                    Check.note("ring buffer", Status.unavailable, "not tried: the tracer did not load",
                            "no eBPF events (see tracer)", "see tracer")), Events.error, null);
        }
        try {
            boolean cookies = tracer.hasCookies();
            String programs = String.join(", ", tracer.attachedPrograms());
            Check tracerCheck = cookies
                    ? Check.ok("tracer", "tp_btf/inet_sock_set_state (" + programs + "): events carry socket cookies")
                    : Check.loss("tracer", Status.degraded, "classic tracepoint sock:inet_sock_set_state (" + programs
                                    + "): the kernel refused tp_btf, events carry no socket cookie",
                            "no cookies: the agent sends none, so connections that reuse a tuple share one row id",
                            "a kernel whose verifier takes tp_btf/inet_sock_set_state (BTF, 5.8 or newer);"
                                    + " --verbose shows the refusal");
            String rings = tracer.ringBuffers() + " BPF ring buffers (one per CPU) of " + HostProbe.mib(tracer.ringBufferBytes());
            Check ringCheck;
            long t0 = System.nanoTime();
            String connectFailure = null;
            try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
                server.setSoTimeout(2_000);
                port.set(server.getLocalPort());
                t0 = System.nanoTime();
                try (Socket client = new Socket()) {
                    client.connect(server.getLocalSocketAddress(), 2_000);
                    server.accept().close();
                }
            } catch (IOException e) {
                connectFailure = e.toString();
            }
            if (connectFailure != null) {
                ringCheck = Check.ok("ring buffer", rings + "; no test connection over loopback (" + connectFailure + ")");
            } else if (arrived.await(EVENT_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                TcpEvent e = seen.get();
                ringCheck = Check.ok("ring buffer", rings + "; a test connection's CONNECT arrived after "
                        + (System.nanoTime() - t0) / 1_000_000 + " ms"
                        + (e.getCookie() != null ? " (cookie " + Long.toUnsignedString(e.getCookie()) + ")" : " (no cookie)"));
            } else {
                ringCheck = Check.loss("ring buffer", Status.degraded, rings + "; a test connection's CONNECT did not arrive"
                                + " within " + EVENT_WAIT_MILLIS + " ms",
                        "events may not reach the agent", "run `conntrail trace` and connect somewhere: do events show?");
            }
            return new Result(List.of(tracerCheck, ringCheck), cookies ? Events.tp_btf : Events.tracepoint, programs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(List.of(Check.ok("tracer", "loaded; interrupted before the ring buffer was checked")),
                    tracer.hasCookies() ? Events.tp_btf : Events.tracepoint, null);
        } finally {
            tracer.close();
        }
    }

    static String fix(BpfUnavailableException.Reason r) {
        return switch (r) {
            case LIBBPF_MISSING -> "install libbpf 1.x (Debian/Ubuntu: apt-get install libbpf1)";
            case NO_BTF -> "a kernel built with CONFIG_DEBUG_INFO_BTF=y (/sys/kernel/btf/vmlinux)";
            case NO_PERMISSION -> "run as root, or grant CAP_BPF and CAP_PERFMON (deploy/conntrail-producer.service)";
            case PROGRAM_REFUSED -> "a kernel with BTF, 5.8 or newer; the verifier's log is in --format json's detail";
            case OTHER -> "see what was found";
        };
    }

    /**
     * The message without libbpf's log (after "; ") or the advice (": run as ..."; the fix says it), at most 200
     * characters: the detail has all of it.
     */
    static String shortMessage(Throwable e) {
        String m = String.valueOf(e.getMessage());
        for (String tail : new String[] {"; ", ": run as "}) {
            int cut = m.indexOf(tail);
            if (cut > 0) {
                m = m.substring(0, cut);
            }
        }
        return m.length() > 200 ? m.substring(0, 197) + "..." : m;
    }
}
