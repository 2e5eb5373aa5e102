package dev.conntrail.producer.netlink;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.conntrail.producer.sys.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One raw AF_NETLINK socket. The socket belongs to the network namespace of the thread that
 * created it and stays there: create it inside a namespace (see {@code NetnsEnterer}) and use it
 * from any thread. Not thread-safe; one reader at a time.
 */
public final class NetlinkSocket implements AutoCloseable {
    private static final LibC C = LibC.INSTANCE;
    private final int fd;
    private final Memory buffer;
    private int seq = (int) (System.nanoTime() & 0x3fffffff);

    private NetlinkSocket(int fd, int bufferSize) {
        this.fd = fd;
        this.buffer = new Memory(bufferSize);
    }

    /** Opens and binds a netlink socket of {@code protocol}, subscribed to the multicast {@code groups} bitmask. */
    public static NetlinkSocket open(int protocol, int groups, int bufferSize) {
        int fd = C.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, protocol);
        if (fd < 0) {
            throw new NetlinkException("socket(AF_NETLINK, " + protocol + ")", Native.getLastError());
        }
        ByteBuffer sa = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder());
        sa.putShort((short) LibC.AF_NETLINK).putShort((short) 0).putInt(0).putInt(groups);
        if (C.bind(fd, sa.array(), 12) < 0) {
            int err = Native.getLastError();
            C.close(fd);
            throw new NetlinkException("bind(netlink groups " + groups + ")", err);
        }
        return new NetlinkSocket(fd, bufferSize);
    }

    public int nextSeq() {
        return ++seq;
    }

    /** Asks for a bigger receive buffer (SO_RCVBUFFORCE as root, else SO_RCVBUF); best effort. */
    public void receiveBuffer(int bytes) {
        byte[] v = intBytes(bytes);
        if (C.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, v, 4) < 0) {
            C.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, v, 4);
        }
    }

    /** recv() returns EAGAIN after this long without data, so a reader thread can check whether to stop. */
    public void receiveTimeoutMillis(int millis) {
        ByteBuffer tv = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        tv.putLong(millis / 1000).putLong((millis % 1000) * 1000L);
        C.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, tv.array(), 16);
    }

    public void send(byte[] message) {
        byte[] kernel = new byte[12];
        ByteBuffer.wrap(kernel).order(ByteOrder.nativeOrder()).putShort((short) LibC.AF_NETLINK);
        long n = C.sendto(fd, message, message.length, 0, kernel, 12);
        if (n < 0) {
            throw new NetlinkException("sendto(netlink)", Native.getLastError());
        }
    }

    /**
     * Receives one datagram (possibly several netlink messages). Returns a native-order view of it,
     * valid until the next call; null on timeout (EAGAIN) or EINTR. Throws with errno ENOBUFS when the
     * kernel had to drop messages for this socket.
     */
    public ByteBuffer receive() {
        long n = C.recv(fd, buffer, buffer.size(), 0);
        if (n < 0) {
            int err = Native.getLastError();
            if (err == LibC.EAGAIN || err == LibC.EINTR) {
                return null;
            }
            throw new NetlinkException("recv(netlink)", err);
        }
        return buffer.getByteBuffer(0, n).order(ByteOrder.nativeOrder());
    }

    @Override
    public void close() {
        C.close(fd);
    }

    private static byte[] intBytes(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }
}
