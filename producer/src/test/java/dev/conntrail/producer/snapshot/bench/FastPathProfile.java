package dev.conntrail.producer.snapshot.bench;

import dev.conntrail.producer.ns.NetNamespace;
import dev.conntrail.producer.ns.NetnsDiscovery;
import dev.conntrail.producer.ns.NetnsEnterer;
import dev.conntrail.producer.snapshot.SockIterSource;
import dev.conntrail.producer.snapshot.SockstatReader;
import java.nio.file.Path;
import java.util.List;

/** Not a test: times the fast path's parts one by one (bench/snapshot-bench.sh with BENCH_MAIN=FastPathProfile). */
public final class FastPathProfile {
    public static void main(String[] args) {
        int runs = Integer.parseInt(args.length > 0 ? args[0] : "7");
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        try (SockIterSource it = new SockIterSource(); NetnsEnterer en = new NetnsEnterer()) {
            SockstatReader ss = new SockstatReader(en, Path.of("/proc"));
            NetnsDiscovery d = new NetnsDiscovery();
            for (int i = 0; i < runs + 2; i++) {
                long c0 = mx.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                List<NetNamespace> ns = d.discover();
                long t0b = System.nanoTime();
                SockIterSource.Processes ps = it.processes();
                List<NetNamespace> ns2 = d.fromProcesses(ps.pids(), ps.netns());
                long t1 = System.nanoTime();
                if (ns2.size() != ns.size()) {
                    System.out.printf("(discovery by readlink found %d namespaces, by iter/task %d) ", ns.size(), ns2.size());
                }
                byte[] raw = it.readPass();
                long t2 = System.nanoTime();
                SockIterSource.Pass p = SockIterSource.decode(raw);
                long t3 = System.nanoTime();
                long sum = 0;
                for (NetNamespace n : ns) {
                    sum += ss.inuse(n);
                }
                long t4 = System.nanoTime();
                List<dev.conntrail.producer.snapshot.RawSocket> rootSockets = new java.util.ArrayList<>();
                new dev.conntrail.producer.snapshot.SockDiagSource(en, NetnsDiscovery.currentNetns()).read(ns.get(0),
                        dev.conntrail.producer.snapshot.TcpStates.CONNECTED_MASK | 1 << 10, rootSockets);
                long t5 = System.nanoTime();
                List<dev.conntrail.producer.snapshot.RawSocket> rootListeners = new java.util.ArrayList<>();
                new dev.conntrail.producer.snapshot.SockDiagSource(en, NetnsDiscovery.currentNetns()).read(ns.get(0),
                        1 << dev.conntrail.producer.snapshot.TcpStates.LISTEN, rootListeners);
                long t6 = System.nanoTime();
                System.out.printf("root sock_diag %.1f ms (%d sockets), LISTEN only %.1f ms (%d) | ", (t5 - t4) / 1e6,
                        rootSockets.size(), (t6 - t5) / 1e6, rootListeners.size());
                System.out.printf("cpu %.1f ms | ", (mx.getCurrentThreadCpuTime() - c0) / 1e6);
                System.out.printf("discover by readlink %.1f ms, by iter/task %.1f ms (%d ns) | iterator read %.1f ms (%d bytes) | decode %.1f ms (%d records) | sockstat x%d %.1f ms (%d inuse)%n",
                        (t0b - t0) / 1e6, (t1 - t0b) / 1e6, ns.size(), (t2 - t1) / 1e6, raw.length, (t3 - t2) / 1e6, p.records(), ns.size(), (t4 - t3) / 1e6, sum);
            }
            try (dev.conntrail.producer.snapshot.SocketSnapshotter snap =
                         new dev.conntrail.producer.snapshot.SocketSnapshotter(dev.conntrail.producer.snapshot.SocketSnapshotter.Method.BPF_ITER)) {
                for (int i = 0; i < runs + 3; i++) {
                    long c0 = mx.getCurrentThreadCpuTime();
                    var r = snap.take();
                    System.out.printf("take: thread cpu %.1f ms, %s%n", (mx.getCurrentThreadCpuTime() - c0) / 1e6, r.stats());
                }
            }
        }
    }

    private FastPathProfile() {
    }
}
