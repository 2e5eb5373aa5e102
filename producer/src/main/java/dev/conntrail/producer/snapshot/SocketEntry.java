package dev.conntrail.producer.snapshot;

import dev.conntrail.avro.Direction;
import dev.conntrail.avro.TcpCounters;

/**
 * One connected TCP socket of the snapshot (rule-2 states). {@code pid}/{@code comm} null when no
 * process holds it (closed by the application, or vanished during the walk); {@code owners} is how
 * many processes hold it (fork shares sockets; the lowest pid is named). Addresses are contract text
 * (dev.conntrail.schemas.Addresses). {@code cgroupId} (v2) and {@code container} are the named owner's,
 * null when there is no owner, no cgroup v2 hierarchy, or no container. {@code counters} null when the source does
 * not read them.
 */
public record SocketEntry(long netns, boolean ipv6, String laddr, int lport, String raddr, int rport,
                          int state, long uid, long inode, Long cookie, Direction direction,
                          Integer pid, String comm, int owners, Long cgroupId, String container, TcpCounters counters) {
}
