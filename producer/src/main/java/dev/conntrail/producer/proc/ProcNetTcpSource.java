package dev.conntrail.producer.proc;

import dev.conntrail.producer.ns.NetNamespace;
import dev.conntrail.producer.ns.NetnsEnterer;
import dev.conntrail.producer.snapshot.RawSocket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sockets of one namespace from {@code /proc/PID/net/tcp} and {@code tcp6}, read once per namespace
 * through one of its processes (or, for a namespace only a bind mount keeps, from
 * {@code /proc/thread-self/net} on the enterer's thread). No cookies. Note: every read of these files
 * scans the host-wide socket hash, so this grows with the host's total socket count.
 */
public final class ProcNetTcpSource {
    private static final Logger LOG = LoggerFactory.getLogger(ProcNetTcpSource.class);
    private static volatile boolean loggedMalformed;
    private final NetnsEnterer enterer;
    private final Path proc;

    public ProcNetTcpSource(NetnsEnterer enterer, Path proc) {
        this.enterer = enterer;
        this.proc = proc;
    }

    /** Appends the sockets whose state passes {@code keep}; returns malformed lines skipped. -1: namespace gone. */
    public int read(NetNamespace ns, IntPredicate keep, List<RawSocket> out) {
        return read(ns, true, true, keep, out);
    }

    /**
     * As {@link #read(NetNamespace, IntPredicate, List)}, reading net/tcp only if {@code v4} and net/tcp6
     * only if {@code v6}: a caller that knows from net/sockstat that a family has no socket in this
     * namespace skips a file whose every read scans the host-wide hash.
     */
    public int read(NetNamespace ns, boolean v4, boolean v6, IntPredicate keep, List<RawSocket> out) {
        for (int pid : ns.pids()) {
            Path dir = proc.resolve(Integer.toString(pid)).resolve("net");
            try {
                int bad = v4 ? readFile(dir.resolve("tcp"), ns.inode(), false, keep, out) : 0;
                bad += v6 ? readFile(dir.resolve("tcp6"), ns.inode(), true, keep, out) : 0;
                return bad;
            } catch (UncheckedIOException e) {
                // the process exited; try the next one of this namespace
            }
        }
        if (enterer == null || ns.handles().isEmpty()) {
            return -1;
        }
        try {
            return enterer.inside(ns, () -> (v4 ? readFile(Path.of("/proc/thread-self/net/tcp"), ns.inode(), false, keep, out) : 0)
                    + (v6 ? readFile(Path.of("/proc/thread-self/net/tcp6"), ns.inode(), true, keep, out) : 0));
        } catch (NetnsEnterer.CannotEnter | UncheckedIOException e) {
            return -1;
        }
    }

    private byte[] buf = new byte[1 << 18];

    /** Reads the whole file into {@link #buf} (growing it); returns its length. */
    private int slurp(Path file) throws IOException {
        int len = 0;
        try (java.io.FileInputStream in = new java.io.FileInputStream(file.toFile())) {
            int n;
            while ((n = in.read(buf, len, buf.length - len)) > 0) {
                len += n;
                if (len == buf.length) {
                    buf = java.util.Arrays.copyOf(buf, buf.length * 2);
                }
            }
        }
        return len;
    }

    private int readFile(Path file, long netns, boolean v6, IntPredicate keep, List<RawSocket> out) {
        int malformed = 0;
        int len;
        try {
            len = slurp(file);
        } catch (java.io.FileNotFoundException e) {
            if (v6) {
                return malformed; // IPv6 disabled in this namespace/kernel
            }
            throw new UncheckedIOException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] b = buf;
        int line = 0;
        boolean header = true;
        while (line < len) {
            int end = line;
            while (end < len && b[end] != '\n') {
                end++;
            }
            if (header) {
                header = false; // "  sl  local_address ..."
            } else if (!blank(b, line, end)) {
                try {
                    RawSocket s = ProcNetTcpParser.parse(b, line, end, netns, v6);
                    if (keep.test(s.state())) {
                        out.add(s);
                    }
                } catch (ProcParseException e) {
                    malformed++;
                    if (!loggedMalformed) {
                        loggedMalformed = true;
                        LOG.warn("skipping a malformed line of {} (logged once; counted): {}", file, e.getMessage());
                    }
                }
            }
            line = end + 1;
        }
        return malformed;
    }

    private static boolean blank(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if ((b[i] & 0xff) > ' ') {
                return false;
            }
        }
        return true;
    }
}
