package dev.conntrail.producer.ns;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Finds every network namespace of the host: each distinct {@code /proc/[pid]/ns/net} (by inode)
 * plus the bind-mounted ones under {@code /run/netns} (namespaces {@code ip netns add} made, which
 * may have no process). Processes that exit during the walk are skipped: that is normal.
 */
public final class NetnsDiscovery {
    private final Path proc;
    private final Path runNetns;

    public NetnsDiscovery() {
        this(Paths.get("/proc"), Paths.get("/run/netns"));
    }

    public NetnsDiscovery(Path proc, Path runNetns) {
        this.proc = proc;
        this.runNetns = runNetns;
    }

    /** The namespaces, root namespace (that of pid 1) first, then by inode: one readlink per process. */
    public List<NetNamespace> discover() {
        int[] pids = ProcDirs.pids(proc);
        long[] netns = new long[pids.length];
        Readlink links = new Readlink(proc.toString());
        for (int i = 0; i < pids.length; i++) {
            netns[i] = links.bracketNumber(pids[i], "ns/net", Readlink.NET);
        }
        return fromProcesses(pids, netns);
    }

    /**
     * The namespaces of the given processes (ascending pids; a netns below 1 means "gone", skipped) plus
     * the bind mounts under /run/netns; root namespace (that of pid 1) first, then by inode. The BPF
     * task iterator supplies the pairs in one pass (SockIterSource#processes) instead of a readlink each.
     */
    public List<NetNamespace> fromProcesses(int[] pids, long[] netns) {
        Map<Long, List<Integer>> pidsByNs = new TreeMap<>();
        Map<Long, List<Path>> handles = new TreeMap<>();
        Map<Long, String> names = new TreeMap<>();
        long root = -1;
        for (int i = 0; i < pids.length; i++) {
            long ino = netns[i];
            if (ino <= 0) {
                continue;
            }
            if (pids[i] == 1) {
                root = ino;
            }
            pidsByNs.computeIfAbsent(ino, k -> new ArrayList<>()).add(pids[i]);
            List<Path> h = handles.computeIfAbsent(ino, k -> new ArrayList<>());
            if (h.size() < 4) { // a few spares: the first process may exit before we open it
                h.add(proc.resolve(Integer.toString(pids[i])).resolve("ns/net"));
            }
        }
        if (Files.isDirectory(runNetns)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(runNetns)) {
                for (Path p : ds) {
                    long ino = fileInode(p);
                    if (ino < 0) {
                        continue;
                    }
                    handles.computeIfAbsent(ino, k -> new ArrayList<>()).add(0, p);
                    names.putIfAbsent(ino, p.getFileName().toString());
                    pidsByNs.computeIfAbsent(ino, k -> new ArrayList<>());
                }
            } catch (IOException e) {
                // unreadable /run/netns: the namespaces with processes are still found
            }
        }
        if (root < 0) {
            root = nsInode(proc.resolve("1/ns/net"));
        }
        List<NetNamespace> out = new ArrayList<>();
        for (Map.Entry<Long, List<Integer>> e : pidsByNs.entrySet()) {
            NetNamespace ns = new NetNamespace(e.getKey(), List.copyOf(handles.get(e.getKey())),
                    List.copyOf(e.getValue()), names.get(e.getKey()));
            if (e.getKey() == root) {
                out.add(0, ns);
            } else {
                out.add(ns);
            }
        }
        return out;
    }

    /** Inode of the namespace a {@code /proc/PID/ns/net} link names ("net:[4026531840]"), or -1 if gone. */
    public static long nsInode(Path link) {
        try {
            String target = Files.readSymbolicLink(link).toString();
            int open = target.indexOf('[');
            int close = target.indexOf(']');
            if (open < 0 || close < open) {
                return -1;
            }
            return Long.parseLong(target, open + 1, close, 10);
        } catch (IOException | NumberFormatException | UnsupportedOperationException e) {
            return -1;
        }
    }

    /** The inode of the namespace of the calling process. */
    public static long currentNetns() {
        return nsInode(Paths.get("/proc/self/ns/net"));
    }

    private static long fileInode(Path p) {
        try {
            Object ino = Files.getAttribute(p, "unix:ino");
            return ((Number) ino).longValue();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
