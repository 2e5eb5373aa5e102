package dev.conntrail.producer.bpf.ring;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.conntrail.producer.sys.LibCDirect;

/**
 * poll(2) on a set of fds ({@link LibCDirect}: the reader calls it hundreds of times a second). The pollfds
 * live in native memory owned by this object. One thread only.
 */
final class DirectPoll {
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
        return LibCDirect.poll(pollFds, count, timeoutMillis);
    }
}
