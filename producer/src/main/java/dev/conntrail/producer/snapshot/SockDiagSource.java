package dev.conntrail.producer.snapshot;

import dev.conntrail.producer.netlink.Netlink;
import dev.conntrail.producer.netlink.NetlinkParseException;
import dev.conntrail.producer.netlink.NetlinkSocket;
import dev.conntrail.producer.ns.NetNamespace;
import dev.conntrail.producer.ns.NetnsEnterer;
import dev.conntrail.producer.sys.LibC;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sockets of one namespace through netlink sock_diag: a NETLINK_SOCK_DIAG socket made inside the
 * namespace (by the enterer's thread), then one dump per family. Gives cookie, inode, uid, state
 * without any text parsing.
 */
public final class SockDiagSource {
    private final NetnsEnterer enterer;
    private final long ownNetns;

    public SockDiagSource(NetnsEnterer enterer, long ownNetns) {
        this.enterer = enterer;
        this.ownNetns = ownNetns;
    }

    /** Appends the namespace's TCP sockets in {@code stateMask} to {@code out}; returns malformed messages skipped. */
    public int read(NetNamespace ns, int stateMask, List<RawSocket> out) {
        NetlinkSocket socket = ns.inode() == ownNetns
                ? NetlinkSocket.open(LibC.NETLINK_SOCK_DIAG, 0, 256 * 1024)
                : enterer.inside(ns, () -> NetlinkSocket.open(LibC.NETLINK_SOCK_DIAG, 0, 256 * 1024));
        try (socket) {
            AtomicInteger malformed = new AtomicInteger();
            for (int family : new int[] {LibC.AF_INET, LibC.AF_INET6}) {
                int seq = socket.nextSeq();
                byte[] req = Netlink.request(SockDiagParser.SOCK_DIAG_BY_FAMILY, Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP,
                        seq, SockDiagParser.request(family, stateMask));
                malformed.addAndGet(Netlink.dump(socket, req, seq, m -> {
                    try {
                        out.add(SockDiagParser.parse(m.payload(), ns.inode()));
                    } catch (NetlinkParseException e) {
                        malformed.incrementAndGet();
                    }
                }));
            }
            return malformed.get();
        }
    }
}
