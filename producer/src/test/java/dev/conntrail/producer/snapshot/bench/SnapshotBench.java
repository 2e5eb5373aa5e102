package dev.conntrail.producer.snapshot.bench;

import dev.conntrail.producer.ns.ProcDirs;
import dev.conntrail.producer.proc.ProcNetTcpParser;
import dev.conntrail.producer.proc.ProcParseException;
import dev.conntrail.producer.snapshot.ProcPoller;
import dev.conntrail.producer.snapshot.SnapshotEvents;
import dev.conntrail.producer.snapshot.Snapshot;
import dev.conntrail.producer.snapshot.SocketSnapshotter;
import java.io.BufferedReader;
import java.io.File;
import java.io.FileReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Not a test: the snapshot benchmark's Java side (bench/snapshot-bench.sh runs it on a host that
 * holds the benchmark's connections). Times each method RUNS times after WARMUP runs and prints
 * "name median_ms min_ms sockets" lines; also the CPU per poll of the PROC_POLL fallback.
 */
public final class SnapshotBench {
    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(args.length > 0 ? args[0] : "5");
        int naiveRuns = Integer.parseInt(args.length > 1 ? args[1] : "3");
        String only = System.getProperty("methods", "BPF_ITER,SOCK_DIAG,PROC");
        for (SocketSnapshotter.Method m : SocketSnapshotter.Method.values()) {
            if (!only.contains(m.name())) {
                continue;
            }
            SocketSnapshotter opened;
            try {
                opened = new SocketSnapshotter(m);
            } catch (RuntimeException e) { // a path this kernel refuses: say so, time the others
                System.out.printf("%-26s %10s %10s   %s%n", "java-" + m.name().toLowerCase(), "-", "-",
                        "unavailable on this kernel: " + e.getMessage().lines().findFirst().orElse(""));
                continue;
            }
            try (SocketSnapshotter s = opened) {
                long c = System.nanoTime();
                Snapshot firstSnap = s.take();
                long first = System.nanoTime() - c;
                int warmups = Integer.getInteger("warmups", 15);
                for (int i = 0; i < warmups; i++) {
                    s.take();
                }
                print("java-" + m.name().toLowerCase() + "-first", new long[] {first}, "the first take() in a fresh JVM (JIT cold)"
                        + (firstSnap.stats().cookiesGenerated() > 0
                        ? "; " + firstSnap.stats().cookiesGenerated() + " sockets had no cookie yet and got one" : ""));
                long[] t = new long[runs];
                long[] cpu = new long[runs];
                int n = 0;
                int owned = 0;
                Snapshot last = null;
                for (int i = 0; i < runs; i++) {
                    long c0 = processCpu();
                    long t0 = System.nanoTime();
                    Snapshot snap = s.take();
                    t[i] = System.nanoTime() - t0;
                    cpu[i] = processCpu() - c0;
                    n = snap.sockets().size();
                    owned = (int) snap.sockets().stream().filter(e -> e.pid() != null).count();
                    last = snap;
                }
                var st = last.stats();
                print("java-" + m.name().toLowerCase(), t, n + " sockets (" + owned + " with pid); last run: discover "
                        + st.discoverMicros() / 1000 + " ms, sockets " + st.socketsMicros() / 1000 + " ms, owners "
                        + st.ownersMicros() / 1000 + " ms, assemble " + st.assembleMicros() / 1000 + " ms, sock_diag namespaces "
                        + st.sockDiagNamespaces());
                print("  cpu", cpu, "CPU time of the whole JVM (user+sys) during one take()");
            }
        }
        if (only.contains("PROC")) {
            procBounds(runs);
        }
        if (naiveRuns == 0) {
            return;
        }
        try (SocketSnapshotter s = new SocketSnapshotter(SocketSnapshotter.Method.PROC);
             ProcPoller p = new ProcPoller(s, new SnapshotEvents("bench", 1), Duration.ofSeconds(10))) {
            p.baseline();
            long[] cpu = new long[runs];
            long[] wall = new long[runs];
            for (int i = 0; i < runs; i++) {
                p.poll();
                cpu[i] = p.lastPollCpuNanos.get();
                wall[i] = p.lastPollWallNanos.get();
            }
            print("proc_poll-cpu-per-poll", cpu, "thread CPU (user+sys) of one poll");
            print("proc_poll-wall-per-poll", wall, "");
        }
        if (naiveRuns == 0) {
            return;
        }
        long[] t = new long[naiveRuns];
        long[] cpu = new long[naiveRuns];
        int n = 0;
        for (int i = 0; i < naiveRuns; i++) {
            long c0 = processCpu();
            long t0 = System.nanoTime();
            n = naiveWalk();
            t[i] = System.nanoTime() - t0;
            cpu[i] = processCpu() - c0;
        }
        print("java-naive-scope-walk", t, n + " socket lines (all states, every pid's net/tcp{,6})");
        print("  cpu", cpu, "CPU time of the whole JVM (user+sys) during one walk");
    }

    /**
     * What Scope's probe did before eBPF: read /proc/PID/net/tcp and tcp6 of every process and
     * readlink every /proc/PID/fd/* — per process, no sharing between processes of one namespace.
     */
    static int naiveWalk() {
        int lines = 0;
        Map<Long, Integer> inodeToPid = new HashMap<>();
        for (int pid : ProcDirs.pids(Path.of("/proc"))) {
            for (String f : new String[] {"tcp", "tcp6"}) {
                try (BufferedReader r = new BufferedReader(new FileReader("/proc/" + pid + "/net/" + f), 1 << 16)) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (ProcNetTcpParser.isHeader(line)) {
                            continue;
                        }
                        try {
                            ProcNetTcpParser.parse(line, 0, f.equals("tcp6"));
                            lines++;
                        } catch (ProcParseException e) {
                            // counted as nothing; the naive walk is only timed
                        }
                    }
                } catch (IOException e) {
                    // process gone
                }
            }
            String[] fds = new File("/proc/" + pid + "/fd").list();
            if (fds == null) {
                continue;
            }
            for (String fd : fds) {
                try {
                    String target = Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd)).toString();
                    if (target.startsWith("socket:[")) {
                        inodeToPid.put(Long.parseLong(target, 8, target.length() - 1, 10), pid);
                    }
                } catch (IOException | NumberFormatException e) {
                    // fd gone
                }
            }
        }
        return lines;
    }

    /**
     * What bounds the proc path: the kernel's part alone. Reading (no parsing) net/tcp and net/tcp6 of
     * one process per namespace — every read scans the host-wide socket hash; the same for only the
     * files net/sockstat says can hold a socket (as the proc path now does, sockstat reads included);
     * and the /proc/PID/fd walk alone (one readlink per fd).
     */
    static void procBounds(int runs) throws IOException {
        var namespaces = new dev.conntrail.producer.ns.NetnsDiscovery().discover();
        byte[] buf = new byte[1 << 20];
        long[] all = new long[runs];
        long[] needed = new long[runs];
        long[] walk = new long[runs];
        int files = 0;
        try (dev.conntrail.producer.ns.NetnsEnterer en = new dev.conntrail.producer.ns.NetnsEnterer()) {
            var sockstat = new dev.conntrail.producer.snapshot.SockstatReader(en, Path.of("/proc"));
            var fdWalker = new dev.conntrail.producer.proc.FdWalker(Path.of("/proc"));
            for (int i = -3; i < runs; i++) {
                long t0 = System.nanoTime();
                for (var ns : namespaces) {
                    if (!ns.pids().isEmpty()) {
                        readAll("/proc/" + ns.pids().get(0) + "/net/tcp", buf);
                        readAll("/proc/" + ns.pids().get(0) + "/net/tcp6", buf);
                    }
                }
                long t1 = System.nanoTime();
                files = 0;
                for (var ns : namespaces) {
                    var c = sockstat.counts(ns);
                    if (!ns.pids().isEmpty()) {
                        for (boolean v6 : new boolean[] {false, true}) {
                            if (c == null || c.mayHave(v6)) {
                                readAll("/proc/" + ns.pids().get(0) + "/net/tcp" + (v6 ? "6" : ""), buf);
                                files++;
                            }
                        }
                    }
                }
                long t2 = System.nanoTime();
                fdWalker.walk();
                long t3 = System.nanoTime();
                if (i >= 0) {
                    all[i] = t1 - t0;
                    needed[i] = t2 - t1;
                    walk[i] = t3 - t2;
                }
            }
        }
        print("bound-read-tcp-tcp6", all, "read only, no parsing: net/tcp + tcp6 of each of " + namespaces.size() + " namespaces");
        print("bound-read-needed", needed, "read only: the " + files + " files sockstat allows (sockstat reads included)");
        print("bound-fd-walk", walk, "readlink of every /proc/PID/fd/N (FdWalker)");
    }

    private static void readAll(String file, byte[] buf) {
        try (java.io.FileInputStream in = new java.io.FileInputStream(file)) {
            while (in.read(buf) > 0) {
                // discard: only the kernel's cost is timed
            }
        } catch (IOException e) {
            // process gone
        }
    }

    static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static void print(String name, long[] nanos, String note) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        System.out.printf("%-26s %10.1f %10.1f   %s%n", name, s[s.length / 2] / 1e6, s[0] / 1e6, note);
    }

    private SnapshotBench() {
    }

}
