package dev.conntrail.producer.snapshot;

import dev.conntrail.producer.ns.NetNamespace;
import dev.conntrail.producer.ns.NetnsEnterer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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

    private static long count(Path net) {
        return field(net.resolve("sockstat"), "TCP:") + field(net.resolve("sockstat6"), "TCP6:");
    }

    private static long field(Path file, String prefix) {
        String text;
        try {
            text = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            if (prefix.equals("TCP6:")) {
                return 0; // no IPv6 in this kernel
            }
            throw new UncheckedIOException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                String[] f = line.split(" ");
                for (int i = 1; i + 1 < f.length; i++) {
                    if (f[i].equals("inuse")) {
                        try {
                            return Long.parseLong(f[i + 1]);
                        } catch (NumberFormatException e) {
                            return -1_000_000_000L; // unreadable: forces the sock_diag path
                        }
                    }
                }
            }
        }
        return 0;
    }
}
