package dev.conntrail.producer.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Netlink attributes (struct nlattr / rtattr: u16 length, u16 type, payload, padded to 4). Indexes
 * one level of attributes by type (the last one of a type wins); nested ones are parsed on request.
 * Values of ctnetlink attributes are big-endian; the header is native.
 */
public final class Attributes {
    /** NLA_F_NESTED and NLA_F_NET_BYTEORDER are flags in the type's top bits. */
    public static final int TYPE_MASK = 0x3fff;
    private static final int MAX_TYPE = 64;
    private final ByteBuffer[] byType = new ByteBuffer[MAX_TYPE];

    private Attributes() {
    }

    /** Parses the attributes in {@code b} from its position to its limit. */
    public static Attributes parse(ByteBuffer b) throws NetlinkParseException {
        Attributes a = new Attributes();
        ByteBuffer in = b.duplicate().order(ByteOrder.nativeOrder());
        int pos = in.position();
        int end = in.limit();
        while (end - pos >= 4) {
            int len = in.getShort(pos) & 0xffff;
            int type = in.getShort(pos + 2) & TYPE_MASK;
            if (len < 4 || len > end - pos) {
                throw new NetlinkParseException("attribute length " + len + " at offset " + pos + " of " + end);
            }
            if (type < MAX_TYPE) {
                a.byType[type] = in.duplicate().position(pos + 4).limit(pos + len).slice();
            }
            pos += Math.min(Netlink.align(len), end - pos);
        }
        return a;
    }

    public boolean has(int type) {
        return type < MAX_TYPE && byType[type] != null;
    }

    /** The raw payload (position 0), or null. */
    public ByteBuffer raw(int type) {
        return type < MAX_TYPE && byType[type] != null ? byType[type].duplicate() : null;
    }

    public Attributes nested(int type) throws NetlinkParseException {
        ByteBuffer r = raw(type);
        if (r == null) {
            throw new NetlinkParseException("attribute " + type + " missing");
        }
        return parse(r);
    }

    public byte[] bytes(int type, int expectedLength) throws NetlinkParseException {
        ByteBuffer r = need(type, expectedLength);
        byte[] out = new byte[expectedLength];
        r.get(out);
        return out;
    }

    public int u8(int type) throws NetlinkParseException {
        return need(type, 1).get(0) & 0xff;
    }

    public int be16(int type) throws NetlinkParseException {
        return need(type, 2).order(ByteOrder.BIG_ENDIAN).getShort(0) & 0xffff;
    }

    public long be32(int type) throws NetlinkParseException {
        return need(type, 4).order(ByteOrder.BIG_ENDIAN).getInt(0) & 0xffffffffL;
    }

    private ByteBuffer need(int type, int length) throws NetlinkParseException {
        ByteBuffer r = raw(type);
        if (r == null) {
            throw new NetlinkParseException("attribute " + type + " missing");
        }
        if (r.remaining() < length) {
            throw new NetlinkParseException("attribute " + type + " has " + r.remaining() + " bytes, needs " + length);
        }
        return r;
    }
}
