package dev.conntrail.producer.netlink;

import dev.conntrail.producer.sys.LibC;

/** A netlink socket call failed; {@link #errno()} says why (e.g. ENOBUFS: the kernel dropped messages). */
public class NetlinkException extends RuntimeException {
    private final int errno;

    public NetlinkException(String what, int errno) {
        super(what + ": " + describe(errno));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    static String describe(int errno) {
        try {
            return LibC.INSTANCE.strerror(errno) + " (errno " + errno + ")";
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return "errno " + errno;
        }
    }
}
