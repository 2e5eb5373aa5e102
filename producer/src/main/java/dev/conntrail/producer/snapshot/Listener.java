package dev.conntrail.producer.snapshot;

/**
 * One listening TCP socket. {@code pid}/{@code comm} are set only when exactly one process holds it
 * ({@code owners == 1}); a listener shared by several processes (pre-fork pools, SO_REUSEPORT with
 * fd passing) seeds no pid, so {@link #shared()} is true and pid is null. {@code cgroupId}: the owner's cgroup v2 id, when known.
 */
public record Listener(long netns, boolean ipv6, String laddr, int lport, long uid, long inode, Long cookie,
                       Integer pid, String comm, int owners, Long cgroupId) {
    public boolean shared() {
        return owners > 1;
    }

    /** A wildcard listener (0.0.0.0 or ::) takes connections to any local address of its family. */
    public boolean wildcard() {
        return "0.0.0.0".equals(laddr) || "::".equals(laddr);
    }
}
