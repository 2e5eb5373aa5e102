package dev.conntrail.producer.bpf;

import dev.conntrail.producer.sys.LibC;

/** errno to text. */
final class Errors {
    private Errors() {
    }

    static String describe(int errno) {
        String s;
        try {
            s = LibC.INSTANCE.strerror(errno);
        } catch (Throwable t) {
            s = null;
        }
        return (s == null ? "error" : s) + " (errno " + errno + ")";
    }
}
