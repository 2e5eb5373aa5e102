package dev.conntrail.producer.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * Netlink framing (include/uapi/linux/netlink.h): the 16-byte nlmsghdr, 4-byte alignment, the
 * dump loop. Parsing works on a {@link ByteBuffer} in native order and throws only
 * {@link NetlinkParseException} on bad bytes.
 */
public final class Netlink {
    public static final int HEADER = 16;
    public static final int NLMSG_NOOP = 1;
    public static final int NLMSG_ERROR = 2;
    public static final int NLMSG_DONE = 3;
    public static final int NLMSG_OVERRUN = 4;
    public static final int NLM_F_REQUEST = 0x1;
    public static final int NLM_F_MULTI = 0x2;
    public static final int NLM_F_DUMP = 0x300;

    private Netlink() {
    }

    public static int align(int len) {
        return (len + 3) & ~3;
    }

    /** One message: its type, flags and payload (a slice positioned at 0). */
    public record Message(int type, int flags, int seq, ByteBuffer payload) {
    }

    /** A request: header + payload. */
    public static byte[] request(int type, int flags, int seq, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length).order(ByteOrder.nativeOrder());
        b.putInt(HEADER + payload.length).putShort((short) type).putShort((short) flags).putInt(seq).putInt(0);
        b.put(payload);
        return b.array();
    }

    /**
     * Splits a datagram into messages and hands each to {@code sink}. Throws on a header whose
     * length does not fit; the messages before it have been delivered.
     */
    public static void forEach(ByteBuffer datagram, Consumer<Message> sink) throws NetlinkParseException {
        ByteBuffer b = datagram.duplicate().order(ByteOrder.nativeOrder());
        int pos = b.position();
        int end = b.limit();
        while (end - pos >= HEADER) {
            int len = b.getInt(pos);
            if (len < HEADER || len > end - pos) {
                throw new NetlinkParseException("netlink message length " + Integer.toUnsignedString(len)
                        + " at offset " + pos + " of " + end);
            }
            int type = b.getShort(pos + 4) & 0xffff;
            int flags = b.getShort(pos + 6) & 0xffff;
            int seq = b.getInt(pos + 8);
            ByteBuffer payload = b.duplicate().position(pos + HEADER).limit(pos + len).slice().order(ByteOrder.nativeOrder());
            sink.accept(new Message(type, flags, seq, payload));
            pos += Math.min(align(len), end - pos);
        }
    }

    /** The negative errno of an NLMSG_ERROR payload (0 = ack). */
    public static int errorCode(Message m) throws NetlinkParseException {
        if (m.payload().remaining() < 4) {
            throw new NetlinkParseException("NLMSG_ERROR payload of " + m.payload().remaining() + " bytes");
        }
        return m.payload().getInt(0);
    }

    /** Handler for the messages of a dump; the dump ends at NLMSG_DONE. */
    public interface DumpHandler {
        void message(Message m);
    }

    /**
     * Sends {@code request} and reads the dump's answer until NLMSG_DONE, handing every data message
     * to {@code handler}. Returns the number of malformed datagrams skipped. Throws
     * {@link NetlinkException} when the kernel answers with an error.
     */
    public static int dump(NetlinkSocket socket, byte[] request, int seq, DumpHandler handler) {
        socket.send(request);
        int malformed = 0;
        boolean[] done = {false};
        int[] error = {0};
        while (!done[0]) {
            ByteBuffer datagram = socket.receive();
            if (datagram == null) {
                continue;
            }
            try {
                forEach(datagram, m -> {
                    if (m.seq() != seq || done[0]) {
                        return; // an event or a stale answer on this socket; not ours
                    }
                    switch (m.type()) {
                        case NLMSG_DONE -> done[0] = true;
                        case NLMSG_ERROR -> {
                            int code = m.payload().remaining() >= 4 ? m.payload().getInt(0) : -1;
                            if (code != 0) {
                                error[0] = -code;
                            }
                            done[0] = true;
                        }
                        case NLMSG_NOOP, NLMSG_OVERRUN -> { }
                        default -> handler.message(m);
                    }
                });
            } catch (NetlinkParseException e) {
                malformed++;
            }
        }
        if (error[0] != 0) {
            throw new NetlinkException("netlink dump", error[0]);
        }
        return malformed;
    }
}
