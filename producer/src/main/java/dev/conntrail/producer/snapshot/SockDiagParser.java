package dev.conntrail.producer.snapshot;

import dev.conntrail.producer.netlink.NetlinkParseException;
import dev.conntrail.producer.sys.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Builds inet_diag requests and parses inet_diag_msg answers (include/uapi/linux/inet_diag.h).
 * inet_diag_msg: u8 family, state, timer, retrans; sockid {be16 sport, be16 dport, be32 src[4],
 * be32 dst[4], u32 if, u32 cookie[2]}; u32 expires, rqueue, wqueue, uid, inode — 72 bytes.
 * The cookie is cookie[0] | cookie[1] << 32 (sock_diag_save_cookie).
 */
public final class SockDiagParser {
    public static final int SOCK_DIAG_BY_FAMILY = 20;
    public static final int IPPROTO_TCP = 6;
    static final int MSG_SIZE = 72;

    private SockDiagParser() {
    }

    /** The inet_diag_req_v2 payload: dump every TCP socket of {@code family} in the states of {@code stateMask}. */
    public static byte[] request(int family, int stateMask) {
        ByteBuffer b = ByteBuffer.allocate(56).order(ByteOrder.nativeOrder());
        b.put((byte) family).put((byte) IPPROTO_TCP).put((byte) 0).put((byte) 0).putInt(stateMask);
        // inet_diag_sockid all zero: no filter; cookie INET_DIAG_NOCOOKIE is not needed for dumps
        return b.array();
    }

    /** One inet_diag_msg. */
    public static RawSocket parse(ByteBuffer payload, long netns) throws NetlinkParseException {
        if (payload.remaining() < MSG_SIZE) {
            throw new NetlinkParseException("inet_diag_msg of " + payload.remaining() + " bytes, needs " + MSG_SIZE);
        }
        ByteBuffer b = payload.duplicate().order(ByteOrder.nativeOrder());
        int base = b.position();
        int family = b.get(base) & 0xff;
        int state = b.get(base + 1) & 0xff;
        boolean v6;
        if (family == LibC.AF_INET) {
            v6 = false;
        } else if (family == LibC.AF_INET6) {
            v6 = true;
        } else {
            throw new NetlinkParseException("inet_diag_msg family " + family);
        }
        int sport = ((b.get(base + 4) & 0xff) << 8) | (b.get(base + 5) & 0xff);
        int dport = ((b.get(base + 6) & 0xff) << 8) | (b.get(base + 7) & 0xff);
        byte[] src = new byte[v6 ? 16 : 4];
        byte[] dst = new byte[v6 ? 16 : 4];
        b.get(base + 8, src);
        b.get(base + 24, dst);
        long c0 = b.getInt(base + 44) & 0xffffffffL;
        long c1 = b.getInt(base + 48) & 0xffffffffL;
        long uid = b.getInt(base + 64) & 0xffffffffL;
        long inode = b.getInt(base + 68) & 0xffffffffL;
        return new RawSocket(netns, v6, src, sport, dst, dport, state, uid, inode, c0 | (c1 << 32), null);
    }
}
