package dev.conntrail.producer.bpf.ring;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * poll(2) on a set of fds through JNA direct mapping: the reader calls it hundreds of times a second, and
 * an interface mapping (like {@link dev.conntrail.producer.sys.LibC}) goes through a proxy,
 * reflection and a Structure copy on every call. The pollfds live in native memory owned by this
 * object. One thread only.
 */
final class DirectPoll {
    static {
        Native.register("c");
    }

    private static native int poll(Pointer fds, long nfds, int timeoutMillis);

    private static final int POLLFD = 8; // struct pollfd {int fd; short events; short revents;}
    private final int count;
    private final Memory pollFds;

    DirectPoll(int[] fds, short events) {
        count = fds.length;
        pollFds = new Memory((long) POLLFD * count);
        for (int i = 0; i < count; i++) {
            pollFds.setInt((long) i * POLLFD, fds[i]);
            pollFds.setShort((long) i * POLLFD + 4, events);
            pollFds.setShort((long) i * POLLFD + 6, (short) 0);
        }
    }

    /** poll(2) result: > 0 ready, 0 timeout, < 0 error (EINTR included). */
    int await(int timeoutMillis) {
        for (int i = 0; i < count; i++) {
            pollFds.setShort((long) i * POLLFD + 6, (short) 0);
        }
        return poll(pollFds, count, timeoutMillis);
    }
}
