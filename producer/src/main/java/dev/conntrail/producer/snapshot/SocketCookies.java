package dev.conntrail.producer.snapshot;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.conntrail.producer.sys.LibC;

/**
 * Makes the kernel generate the cookie of sockets that have none yet. A socket's cookie is made on first
 * demand (a BPF helper, sock_diag, {@code SO_COOKIE}) and kept for its life; the iterator that reads the
 * stored cookie sees 0 for a socket nothing asked about before. For each such socket this borrows the
 * owner's fd ({@code pidfd_getfd}, which needs CAP_SYS_PTRACE or the same uid), asks {@code SO_COOKIE}
 * and closes the copy: three syscalls, no namespace entry. The value is not used here: the caller reads
 * its pass again, so an fd that meanwhile names another file costs nothing but a wasted call.
 * Not thread-safe.
 */
final class SocketCookies {
    private final Memory value = new Memory(8);
    private final Memory length = new Memory(4);
    private int generated;
    private int failed;
    private int lastErrno;

    /** Asks the kernel for the cookie of fd {@code fds[i]} of process {@code tgids[i]}, for each i (grouped by tgid). */
    void generate(int[] tgids, int[] fds, int count) {
        int pidfd = -1;
        int pidfdOf = -1;
        try {
            for (int i = 0; i < count; i++) {
                if (tgids[i] != pidfdOf) {
                    if (pidfd >= 0) {
                        LibC.INSTANCE.close(pidfd);
                    }
                    pidfdOf = tgids[i];
                    pidfd = (int) LibC.INSTANCE.syscall(LibC.SYS_PIDFD_OPEN, (long) pidfdOf, 0L);
                }
                if (pidfd < 0) {
                    lastErrno = Native.getLastError();
                    failed++;
                } else if (!generate(pidfd, fds[i])) {
                    failed++;
                } else {
                    generated++;
                }
            }
        } finally {
            if (pidfd >= 0) {
                LibC.INSTANCE.close(pidfd);
            }
        }
    }

    private boolean generate(int pidfd, int fd) {
        int copy = (int) LibC.INSTANCE.syscall(LibC.SYS_PIDFD_GETFD, (long) pidfd, (long) fd, 0L);
        if (copy < 0) {
            lastErrno = Native.getLastError();
            return false;
        }
        try {
            length.setInt(0, 8);
            if (LibC.INSTANCE.getsockopt(copy, LibC.SOL_SOCKET, LibC.SO_COOKIE, value, length) != 0) {
                lastErrno = Native.getLastError();
                return false;
            }
            return true;
        } finally {
            LibC.INSTANCE.close(copy);
        }
    }

    /** Sockets whose cookie this asked for, since construction. */
    int generated() {
        return generated;
    }

    /** Sockets it could not ask for (process or fd gone, no permission), since construction. */
    int failed() {
        return failed;
    }

    /** errno of the last failure (EPERM: no CAP_SYS_PTRACE over that process). */
    int lastErrno() {
        return lastErrno;
    }
}
