package dev.conntrail.producer.conntrack;

import dev.conntrail.producer.netlink.Attributes;
import dev.conntrail.producer.netlink.NetlinkParseException;
import dev.conntrail.producer.sys.LibC;
import dev.conntrail.schemas.Addresses;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * ctnetlink messages (include/uapi/linux/netfilter/nfnetlink_conntrack.h): a 4-byte nfgenmsg
 * (family, version, res_id), then CTA_* attributes; tuples are nested (CTA_TUPLE_IP with the
 * addresses, CTA_TUPLE_PROTO with protocol and big-endian ports); CTA_ZONE is be16, CTA_ID be32.
 * Throws only {@link NetlinkParseException}.
 */
public final class CtNetlinkParser {
    public static final int NFNL_SUBSYS_CTNETLINK = 1;
    public static final int IPCTNL_MSG_CT_NEW = 0;
    public static final int IPCTNL_MSG_CT_GET = 1;
    public static final int IPCTNL_MSG_CT_DELETE = 2;
    /** Multicast group bits for bind(): NFNLGRP_CONNTRACK_NEW (1) and NFNLGRP_CONNTRACK_DESTROY (3). */
    public static final int GROUPS_NEW_DESTROY = 1 | 1 << 2;

    static final int CTA_TUPLE_ORIG = 1;
    static final int CTA_TUPLE_REPLY = 2;
    static final int CTA_ID = 12;
    static final int CTA_ZONE = 18;
    static final int CTA_TUPLE_IP = 1;
    static final int CTA_TUPLE_PROTO = 2;
    static final int CTA_IP_V4_SRC = 1;
    static final int CTA_IP_V4_DST = 2;
    static final int CTA_IP_V6_SRC = 3;
    static final int CTA_IP_V6_DST = 4;
    static final int CTA_PROTO_NUM = 1;
    static final int CTA_PROTO_SRC_PORT = 2;
    static final int CTA_PROTO_DST_PORT = 3;
    static final int IPPROTO_TCP = 6;

    private CtNetlinkParser() {
    }

    /** The conntrack message type of a netlink type (subsystem in the high byte), or -1 if not ctnetlink. */
    public static int ctType(int netlinkType) {
        return (netlinkType >> 8) == NFNL_SUBSYS_CTNETLINK ? netlinkType & 0xff : -1;
    }

    /** Netlink type + nfgenmsg payload of a dump request for every family. */
    public static int dumpType() {
        return NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET;
    }

    public static byte[] dumpPayload() {
        return new byte[] {0 /* AF_UNSPEC: all families */, 0 /* NFNETLINK_V0 */, 0, 0};
    }

    /** The entry in one message, or null when it is not TCP. */
    public static ConntrackEntry parse(ByteBuffer payload, long netns) throws NetlinkParseException {
        ByteBuffer b = payload.duplicate().order(ByteOrder.nativeOrder());
        if (b.remaining() < 4) {
            throw new NetlinkParseException("nfgenmsg of " + b.remaining() + " bytes");
        }
        int family = b.get(b.position()) & 0xff;
        if (family != LibC.AF_INET && family != LibC.AF_INET6) {
            throw new NetlinkParseException("conntrack family " + family);
        }
        boolean v6 = family == LibC.AF_INET6;
        b.position(b.position() + 4);
        Attributes a = Attributes.parse(b);
        Attributes orig = a.nested(CTA_TUPLE_ORIG);
        Attributes reply = a.nested(CTA_TUPLE_REPLY);
        Attributes origProto = orig.nested(CTA_TUPLE_PROTO);
        if (origProto.u8(CTA_PROTO_NUM) != IPPROTO_TCP) {
            return null;
        }
        Attributes replyProto = reply.nested(CTA_TUPLE_PROTO);
        Attributes origIp = orig.nested(CTA_TUPLE_IP);
        Attributes replyIp = reply.nested(CTA_TUPLE_IP);
        int src = v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC;
        int dst = v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST;
        int len = v6 ? 16 : 4;
        int zone = a.has(CTA_ZONE) ? a.be16(CTA_ZONE) : 0;
        Long id = a.has(CTA_ID) ? a.be32(CTA_ID) : null;
        return new ConntrackEntry(netns, zone, v6,
                Addresses.format(origIp.bytes(src, len)), origProto.be16(CTA_PROTO_SRC_PORT),
                Addresses.format(origIp.bytes(dst, len)), origProto.be16(CTA_PROTO_DST_PORT),
                Addresses.format(replyIp.bytes(src, len)), replyProto.be16(CTA_PROTO_SRC_PORT),
                Addresses.format(replyIp.bytes(dst, len)), replyProto.be16(CTA_PROTO_DST_PORT), id);
    }
}
