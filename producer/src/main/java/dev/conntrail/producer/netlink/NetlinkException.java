package dev.conntrail.producer.netlink;

import dev.conntrail.producer.sys.Errno;

/** A netlink socket call failed; {@link #errno()} says why (e.g. ENOBUFS: the kernel dropped messages). */
public class NetlinkException extends RuntimeException {
    private final int errno;

    public NetlinkException(String what, int errno) {
        super(what + ": " + Errno.describe(errno));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
