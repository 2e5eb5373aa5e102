package dev.conntrail.producer.netlink;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The few libc calls the snapshot and the conntrack reader need (JNA). errno after a failed call
 * is read with {@link Native#getLastError()}, which JNA saves per thread after every call.
 */
public interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int AF_NETLINK = 16;
    int SOCK_RAW = 3;
    int SOCK_CLOEXEC = 0x80000;
    int NETLINK_SOCK_DIAG = 4;
    int NETLINK_NETFILTER = 12;
    int SOL_SOCKET = 1;
    int SO_RCVBUF = 8;
    int SO_RCVBUFFORCE = 33;
    int SO_RCVTIMEO = 20;
    int SOL_NETLINK = 270;
    int NETLINK_NO_ENOBUFS = 5;
    int O_RDONLY = 0;
    int O_CLOEXEC = 0x80000;
    int CLONE_NEWNET = 0x40000000;

    int EINTR = 4;
    int EAGAIN = 11;
    int ENOBUFS = 105;
    int ENOENT = 2;
    int ESRCH = 3;

    int socket(int domain, int type, int protocol);

    int bind(int fd, byte[] addr, int addrlen);

    long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen);

    long recv(int fd, Pointer buf, long len, int flags);

    int setsockopt(int fd, int level, int optname, byte[] optval, int optlen);

    int open(String path, int flags);

    int close(int fd);

    int setns(int fd, int nstype);

    /** read(2) into native memory: no copy of a Java array in and out around each call (BPF iterator passes). */
    long read(int fd, Pointer buf, long count);

    String strerror(int errnum);
}
