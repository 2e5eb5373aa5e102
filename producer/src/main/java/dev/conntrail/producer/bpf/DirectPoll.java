package dev.conntrail.producer.bpf;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * poll(2) on one fd through JNA direct mapping: the reader calls it hundreds of times a second, and
 * an interface mapping (like {@link dev.conntrail.producer.sys.LibC}) goes through a proxy,
 * reflection and a Structure copy on every call. The pollfd lives in native memory owned by this
 * object. One thread only.
 */
final class DirectPoll {
    static {
        Native.register("c");
    }

    private static native int poll(Pointer fds, long nfds, int timeoutMillis);

    private final Memory pollFd = new Memory(8); // struct pollfd {int fd; short events; short revents;}

    DirectPoll(int fd, short events) {
        pollFd.setInt(0, fd);
        pollFd.setShort(4, events);
        pollFd.setShort(6, (short) 0);
    }

    /** poll(2) result: > 0 ready, 0 timeout, < 0 error (EINTR included). */
    int await(int timeoutMillis) {
        pollFd.setShort(6, (short) 0);
        return poll(pollFd, 1, timeoutMillis);
    }
}
