package dev.conntrail.producer.sys;

/** errno to text, for every message that reports a failed system call. */
public final class Errno {
    private Errno() {
    }

    /** strerror's text and the number, e.g. "Operation not permitted (errno 1)". */
    public static String describe(int errno) {
        String s;
        try {
            s = LibC.INSTANCE.strerror(errno);
        } catch (Throwable t) {
            s = null;
        }
        return (s == null ? "error" : s) + " (errno " + errno + ")";
    }
}
