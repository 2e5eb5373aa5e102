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

    /** The namespace's hashed TCP socket count, or -1 when it cannot be read (namespace gone). */
    public long inuse(NetNamespace ns) {
        for (int pid : ns.pids()) {
            Path net = proc.resolve(Integer.toString(pid)).resolve("net");
            try {
                return count(net);
            } catch (UncheckedIOException e) {
                // that process exited; try another
            }
        }
        if (ns.handles().isEmpty()) {
            return -1;
        }
        try {
            return enterer.inside(ns, () -> count(Path.of("/proc/thread-self/net")));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private long count(Path net) {
        return field(net.resolve("sockstat"), TCP) + field(net.resolve("sockstat6"), TCP6);
    }

    private static final byte[] TCP = "\nTCP: inuse ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TCP6 = "\nTCP6: inuse ".getBytes(StandardCharsets.US_ASCII);
    private final byte[] buf = new byte[4096]; // both files are a few hundred bytes

    /** The number after {@code prefix} (searched after a newline; the file's first line counts too). */
    private long field(Path file, byte[] prefix) {
        int len = 1;
        buf[0] = '\n';
        try (java.io.FileInputStream in = new java.io.FileInputStream(file.toFile())) {
            int n;
            while (len < buf.length && (n = in.read(buf, len, buf.length - len)) > 0) {
                len += n;
            }
        } catch (java.io.FileNotFoundException e) {
            if (prefix == TCP6 && !Files.exists(file)) {
                return 0; // no IPv6 in this kernel
            }
            throw new UncheckedIOException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        outer:
        for (int i = 0; i + prefix.length <= len; i++) {
            for (int j = 0; j < prefix.length; j++) {
                if (buf[i + j] != prefix[j]) {
                    continue outer;
                }
            }
            long v = 0;
            int k = i + prefix.length;
            int start = k;
            while (k < len && buf[k] >= '0' && buf[k] <= '9' && k - start < 18) {
                v = v * 10 + (buf[k++] - '0');
            }
            return k > start ? v : -1_000_000_000L; // unreadable: forces the sock_diag path
        }
        return 0;
    }
}
