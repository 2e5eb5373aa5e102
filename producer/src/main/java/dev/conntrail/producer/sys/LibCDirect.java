package dev.conntrail.producer.sys;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The libc calls made in hot loops, through JNA direct mapping: {@link LibC}'s interface mapping goes through a
 * proxy and reflection on every call, which showed in the tracer's poll (hundreds a second) and the fd walk's
 * readlink (~20,000 a pass). Every other libc call goes through {@link LibC}.
 */
public final class LibCDirect {
    static {
        Native.register("c");
    }

    private LibCDirect() {
    }

    /** readlink(2); {@code path} NUL-terminated. */
    public static native long readlink(byte[] path, byte[] buf, long size);

    /** poll(2) on {@code nfds} struct pollfd in native memory. */
    public static native int poll(Pointer fds, long nfds, int timeoutMillis);
}
