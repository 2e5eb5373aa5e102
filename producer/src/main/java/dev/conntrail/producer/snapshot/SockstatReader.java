package dev.conntrail.producer.snapshot;

import dev.conntrail.producer.ns.NetNamespace;
import dev.conntrail.producer.ns.NetnsEnterer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How many TCP sockets a namespace has hashed ("inuse" of {@code TCP:} in {@code net/sockstat} plus
 * {@code TCP6:} in {@code net/sockstat6}): listeners and every connected or connecting socket, not
 * TIME_WAIT. A per-namespace counter the kernel keeps, so reading it costs no socket-table walk
 * (unlike sock_diag or net/tcp, which scan the host-wide hash once per namespace).
 */
public final class SockstatReader {
    private final NetnsEnterer enterer;
    private final Path proc;

    public SockstatReader(NetnsEnterer enterer, Path proc) {
        this.enterer = enterer;
        this.proc = proc;
    }

    /**
     * A namespace's counters: {@code inuse4}/{@code inuse6} = hashed TCP sockets of each family (an
     * IPv4-mapped socket is IPv6, as in net/tcp6; negative when unreadable), {@code timeWait} = its
     * time-wait sockets ("tw"). The latter matters because an orphaned FIN_WAIT2 socket is turned into
     * a time-wait socket (substate FIN_WAIT2): sock_diag still reports it as FIN_WAIT2 (design rule 2,
     * snapshot content, keeps it), but "inuse" no longer counts it, so "inuse" alone cannot prove that
     * no unheld socket exists.
     */
    public record Counts(long inuse4, long inuse6, long timeWait) {
        public long inuse() {
            return inuse4 < 0 || inuse6 < 0 ? -1 : inuse4 + inuse6;
        }

        /** Whether net/tcp (IPv4) or net/tcp6 may hold a socket: a hashed one, or a time-wait one of either family. */
        public boolean mayHave(boolean ipv6) {
            return (ipv6 ? inuse6 : inuse4) != 0 || timeWait != 0;
        }
    }

    /** The namespace's counters, or null when they cannot be read (namespace gone). */
    public Counts counts(NetNamespace ns) {
        for (int pid : ns.pids()) {
            Path net = proc.resolve(Integer.toString(pid)).resolve("net");
            try {
                return count(net);
            } catch (UncheckedIOException e) {
                // that process exited; try another
            }
        }
        if (ns.handles().isEmpty()) {
            return null;
        }
        try {
            return enterer.inside(ns, () -> count(Path.of("/proc/thread-self/net")));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The namespace's hashed TCP socket count, or -1 when it cannot be read (namespace gone). */
    public long inuse(NetNamespace ns) {
        Counts c = counts(ns);
        return c == null ? -1 : c.inuse();
    }

    private Counts count(Path net) {
        int len = fill(net.resolve("sockstat"), false);
        long inuse = field(len, TCP, INUSE);
        long tw = field(len, TCP, TW);
        len = fill(net.resolve("sockstat6"), true);
        long inuse6 = len < 0 ? 0 : field(len, TCP6, INUSE);
        return new Counts(inuse, inuse6, tw);
    }

    private static final byte[] TCP = "\nTCP: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TCP6 = "\nTCP6: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] INUSE = " inuse ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TW = " tw ".getBytes(StandardCharsets.US_ASCII);
    private static final long UNREADABLE = -1_000_000_000L; // forces the sock_diag path
    private final byte[] buf = new byte[4096]; // both files are a few hundred bytes

    /** Reads {@code file} into {@link #buf} after a leading newline; -1 if optional and absent. */
    private int fill(Path file, boolean optional) {
        int len = 1;
        buf[0] = '\n';
        try (java.io.FileInputStream in = new java.io.FileInputStream(file.toFile())) {
            int n;
            while (len < buf.length && (n = in.read(buf, len, buf.length - len)) > 0) {
                len += n;
            }
            return len;
        } catch (java.io.FileNotFoundException e) {
            if (optional && !Files.exists(file)) {
                return -1; // no IPv6 in this kernel
            }
            throw new UncheckedIOException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The number after {@code key} on the line starting with {@code line}; 0 if no such line. */
    private long field(int len, byte[] line, byte[] key) {
        int i = indexOf(line, 0, len);
        if (i < 0) {
            return 0;
        }
        int end = i + line.length;
        while (end < len && buf[end] != '\n') {
            end++;
        }
        int k = indexOf(key, i + line.length - 1, end); // the key's leading space may be the line prefix's
        if (k < 0) {
            return UNREADABLE;
        }
        k += key.length;
        long v = 0;
        int start = k;
        while (k < end && buf[k] >= '0' && buf[k] <= '9' && k - start < 18) {
            v = v * 10 + (buf[k++] - '0');
        }
        return k > start ? v : UNREADABLE;
    }

    private int indexOf(byte[] what, int from, int to) {
        outer:
        for (int i = from; i + what.length <= to; i++) {
            for (int j = 0; j < what.length; j++) {
                if (buf[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
