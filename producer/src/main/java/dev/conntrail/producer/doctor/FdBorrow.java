package dev.conntrail.producer.doctor;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.conntrail.producer.sys.LibC;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether this process can borrow another process's fd with {@code pidfd_getfd} (CAP_SYS_PTRACE, or the same
 * uid): what the stored-cookie iterator does to make a socket's missing cookie (with {@code SO_COOKIE} on the
 * copy). Tries a socket fd when the target's fd list is readable, else fds 0-2; closes the copy at once.
 */
final class FdBorrow {
    private static final int EBADF = 9;
    private static final int ESRCH = 3;
    private static final int MAX_TRIES = 8;

    private FdBorrow() {
    }

    /**
     * The outcome: the process tried last, the fd, errno (0: borrowed), the socket's cookie when the fd was one, and
     * how many other processes refused before.
     */
    record Outcome(OtherProcesses.Proc target, int fd, int errno, Long cookie, int refusedBefore) {
        boolean borrowed() {
            return errno == 0;
        }
    }

    /**
     * Tries processes of another user first, then this user's, pid 1 last (an init may be shielded even from root:
     * this host's pid 1 is): the first borrowed fd answers; else the last refusal. Null when there was no other
     * process to try.
     */
    static Outcome tryOne(long ownUid) {
        List<OtherProcesses.Proc> candidates = new ArrayList<>(OtherProcesses.list(ownUid, true, MAX_TRIES));
        candidates.sort((a, b) -> Boolean.compare(a.pid() == 1, b.pid() == 1)); // stable: keeps the rest in order
        Outcome last = null;
        int refused = 0;
        for (OtherProcesses.Proc p : candidates) {
            for (int fd : candidateFds(p.pid())) {
                Outcome o = borrow(p, fd, refused);
                if (o == null) {
                    break; // the process is gone
                }
                if (o.errno() == EBADF) {
                    continue; // that fd closed meanwhile, or was never open: the next one
                }
                if (o.borrowed()) {
                    return o;
                }
                last = o;
                refused++;
                break;
            }
        }
        return last;
    }

    /** A socket fd when there is one (its cookie then comes too), else the lowest fds; 0-2 when the list is unreadable. */
    private static List<Integer> candidateFds(int pid) {
        String[] names = new File("/proc/" + pid + "/fd").list();
        if (names == null) {
            return List.of(0, 1, 2);
        }
        List<Integer> lowest = new ArrayList<>();
        int looked = 0;
        for (String n : names) {
            int fd;
            try {
                fd = Integer.parseInt(n);
            } catch (NumberFormatException e) {
                continue;
            }
            if (looked++ < 64 && isSocket(pid, fd)) {
                return List.of(fd);
            }
            if (lowest.size() < 3) {
                lowest.add(fd);
            }
        }
        return lowest;
    }

    private static boolean isSocket(int pid, int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd)).toString().startsWith("socket:");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** One try; null when the process is gone (ESRCH). */
    private static Outcome borrow(OtherProcesses.Proc p, int fd, int refusedBefore) {
        LibC c = LibC.INSTANCE;
        int pidfd = (int) c.syscall(LibC.SYS_PIDFD_OPEN, (long) p.pid(), 0L);
        if (pidfd < 0) {
            int errno = Native.getLastError();
            return errno == ESRCH ? null : new Outcome(p, fd, errno, null, refusedBefore);
        }
        try {
            int copy = (int) c.syscall(LibC.SYS_PIDFD_GETFD, (long) pidfd, (long) fd, 0L);
            if (copy < 0) {
                int errno = Native.getLastError();
                return errno == ESRCH ? null : new Outcome(p, fd, errno, null, refusedBefore);
            }
            try (Memory value = new Memory(8); Memory length = new Memory(4)) {
                length.setInt(0, 8);
                Long cookie = c.getsockopt(copy, LibC.SOL_SOCKET, LibC.SO_COOKIE, value, length) == 0 ? value.getLong(0) : null;
                return new Outcome(p, fd, 0, cookie, refusedBefore);
            } finally {
                c.close(copy);
            }
        } finally {
            c.close(pidfd);
        }
    }
}
