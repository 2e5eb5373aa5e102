package dev.conntrail.producer.ns;

import dev.conntrail.producer.sys.Errno;
import com.sun.jna.Native;
import dev.conntrail.producer.netlink.NetlinkException;
import dev.conntrail.producer.sys.LibC;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Runs work inside another network namespace on one dedicated thread: {@code setns} affects only
 * the calling thread, so that thread enters the namespace, runs the work (typically: create a
 * netlink socket, which then stays in that namespace) and returns to the namespace it started in
 * before anything else runs on it. Needs CAP_SYS_ADMIN.
 */
public final class NetnsEnterer implements AutoCloseable {
    private static final LibC C = LibC.INSTANCE;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "conntrail-netns");
        t.setDaemon(true);
        return t;
    });
    private final int homeFd;

    public NetnsEnterer() {
        try {
            homeFd = thread.submit(() -> {
                int fd = C.open("/proc/thread-self/ns/net", LibC.O_RDONLY | LibC.O_CLOEXEC);
                if (fd < 0) {
                    throw new NetlinkException("open(/proc/thread-self/ns/net)", Native.getLastError());
                }
                return fd;
            }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            thread.shutdownNow();
            throw rethrow(e);
        }
    }

    /** Thrown when the namespace cannot be entered (gone, or no permission: {@link #denied()}). */
    public static final class CannotEnter extends RuntimeException {
        private final boolean denied;

        public CannotEnter(String message, int errno) {
            super(message);
            this.denied = errno == LibC.EPERM || errno == LibC.EACCES;
        }

        /** True when the kernel refused for lack of permission (entering needs CAP_SYS_ADMIN), not because it is gone. */
        public boolean denied() {
            return denied;
        }
    }

    /**
     * Runs {@code work} inside {@code ns}, trying its handles in order (processes may have exited).
     * Throws {@link CannotEnter} when none opens.
     */
    public <T> T inside(NetNamespace ns, Supplier<T> work) {
        Future<T> f = thread.submit(() -> {
            int fd = -1;
            int lastErr = 0;
            for (Path handle : ns.handles()) {
                fd = C.open(handle.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
                if (fd >= 0) {
                    break;
                }
                lastErr = Native.getLastError();
            }
            if (fd < 0) {
                throw new CannotEnter("cannot open namespace " + ns + ": " + Errno.describe(lastErr), lastErr);
            }
            try {
                if (C.setns(fd, LibC.CLONE_NEWNET) < 0) {
                    int errno = Native.getLastError();
                    throw new CannotEnter("setns(" + ns + "): " + Errno.describe(errno), errno);
                }
                try {
                    return work.get();
                } finally {
                    if (C.setns(homeFd, LibC.CLONE_NEWNET) < 0) {
                        // never leave the thread elsewhere: a thread we cannot bring home must not run more work
                        thread.shutdownNow();
                        throw new IllegalStateException("could not return to the original network namespace");
                    }
                }
            } finally {
                C.close(fd);
            }
        });
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw rethrow(e);
        }
    }

    private static RuntimeException rethrow(ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof RuntimeException r) {
            return r;
        }
        if (c instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(c);
    }

    @Override
    public void close() {
        try {
            thread.submit(() -> C.close(homeFd)).get();
        } catch (Exception e) {
            // shutting down anyway
        }
        thread.shutdownNow();
    }
}
