package dev.conntrail.producer.bpf;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/** The few libc calls the BPF side needs: mmap of the ring buffer, poll, clocks, vsnprintf for libbpf's log. */
public interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int PROT_READ = 1;
    int PROT_WRITE = 2;
    int MAP_SHARED = 1;
    short POLLIN = 1;
    int CLOCK_REALTIME = 0;
    int CLOCK_MONOTONIC = 1;
    int EINTR = 4;
    int EPERM = 1;
    int EACCES = 13;
    int ENOENT = 2;
    int E2BIG = 7;
    int ESRCH = 3;
    int ENOSPC = 28;

    Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);
    int munmap(Pointer addr, long length);
    int poll(PollFd[] fds, int nfds, int timeoutMillis);
    int clock_gettime(int clockId, Timespec ts);
    int vsnprintf(byte[] buf, long size, String format, Pointer vaList);
    int getpagesize();
    int close(int fd);
    long read(int fd, byte[] buf, long count);
    String strerror(int errnum);
    int mount(String source, String target, String fstype, long flags, Pointer data);

    /** struct pollfd. */
    @Structure.FieldOrder({"fd", "events", "revents"})
    class PollFd extends Structure {
        public int fd;
        public short events;
        public short revents;
    }

    /** struct timespec. */
    @Structure.FieldOrder({"tv_sec", "tv_nsec"})
    class Timespec extends Structure {
        public long tv_sec;
        public long tv_nsec;
    }
}
