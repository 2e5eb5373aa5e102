package dev.conntrail.producer.snapshot;

import dev.conntrail.avro.TcpCounters;

/**
 * One TCP socket as a source (sock_diag, /proc/net/tcp, the BPF iterator) reports it, before owners
 * are attached. Addresses are 4 (IPv4) or 16 (IPv6) bytes in network order; {@code cookie} is null
 * when the source has none (/proc); {@code inode} 0 when no file holds the socket any more; {@code counters}
 * null when the source does not read them (only the BPF iterator does).
 */
public record RawSocket(long netns, boolean ipv6, byte[] laddr, int lport, byte[] raddr, int rport,
                        int state, long uid, long inode, Long cookie, TcpCounters counters) {
}
