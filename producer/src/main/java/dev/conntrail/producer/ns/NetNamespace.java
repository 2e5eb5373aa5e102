package dev.conntrail.producer.ns;

import java.nio.file.Path;
import java.util.List;

/**
 * One network namespace: its inode (as in {@code /proc/PID/ns/net}), the paths that can open it
 * (each member process's {@code /proc/PID/ns/net}, or a bind mount under {@code /run/netns}), and
 * the pids found in it (sorted; empty for a namespace only a bind mount keeps alive).
 */
public record NetNamespace(long inode, List<Path> handles, List<Integer> pids, String name) {
    /** The name under /run/netns, or "netns:[inode]". */
    @Override
    public String toString() {
        return name != null ? name + " (net:[" + inode + "])" : "net:[" + inode + "]";
    }
}
