package dev.conntrail.producer.sys;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * The libc calls the producer makes through JNA (netlink sockets, network namespaces, the BPF ring
 * buffer's mmap, clocks, libbpf's log formatting), one binding for all packages. errno after a
 * failed call is read with {@link Native#getLastError()}, which JNA saves per thread after every call.
 * The calls of hot loops (poll, readlink) are direct-mapped in {@link LibCDirect}.
 */
public interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    // address families (bpf/conntrail_kernel.h has the same for the BPF programs)
    int AF_INET = 2;
    int AF_INET6 = 10;

    // netlink sockets
    int AF_NETLINK = 16;
    int SOCK_RAW = 3;
    int SOCK_CLOEXEC = 0x80000;
    int NETLINK_SOCK_DIAG = 4;
    int NETLINK_NETFILTER = 12;
    int SOL_SOCKET = 1;
    int SO_RCVBUF = 8;
    int SO_RCVBUFFORCE = 33;
    int SO_RCVTIMEO = 20;
    int SO_COOKIE = 57;

    // open(2), setns(2)
    int O_RDONLY = 0;
    int O_CLOEXEC = 0x80000;
    int CLONE_NEWNET = 0x40000000;

    // mmap(2), poll(2), clock_gettime(2)
    int PROT_READ = 1;
    int PROT_WRITE = 2;
    int MAP_SHARED = 1;
    short POLLIN = 1;
    int CLOCK_REALTIME = 0;
    int CLOCK_MONOTONIC = 1;

    int EPERM = 1;
    int ENOENT = 2;
    int EINTR = 4;
    int EAGAIN = 11;
    int EACCES = 13;
    int ENOBUFS = 105;

    // syscall(2) numbers, the same on x86_64 and arm64 (the unified table since Linux 5.3)
    long SYS_PIDFD_OPEN = 434;
    long SYS_PIDFD_GETFD = 438;

    int socket(int domain, int type, int protocol);

    int bind(int fd, byte[] addr, int addrlen);

    long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen);

    long recv(int fd, Pointer buf, long len, int flags);

    int setsockopt(int fd, int level, int optname, byte[] optval, int optlen);

    int getsockopt(int fd, int level, int optname, Pointer optval, Pointer optlen);

    /** syscall(2), for calls glibc 2.36 wraps late or not at all (pidfd_getfd); pass every argument as a long. */
    long syscall(long number, Object... args);

    int open(String path, int flags);

    int close(int fd);

    int setns(int fd, int nstype);

    /** read(2) into native memory: no copy of a Java array in and out around each call (BPF iterator passes). */
    long read(int fd, Pointer buf, long count);

    String strerror(int errnum);

    Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

    int munmap(Pointer addr, long length);

    int getpagesize();

    int clock_gettime(int clockId, Timespec ts);

    int vsnprintf(byte[] buf, long size, String format, Pointer vaList);

    int mount(String source, String target, String fstype, long flags, Pointer data);

    /** struct timespec. */
    @Structure.FieldOrder({"tv_sec", "tv_nsec"})
    class Timespec extends Structure {
        public long tv_sec;
        public long tv_nsec;
    }
}
