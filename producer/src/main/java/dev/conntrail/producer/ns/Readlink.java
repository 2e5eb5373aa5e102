package dev.conntrail.producer.ns;

import dev.conntrail.producer.sys.LibCDirect;
import java.nio.charset.StandardCharsets;

/**
 * readlink(2) of {@code /proc/PID/fd/N} and {@code /proc/PID/ns/net} without java.nio Path objects:
 * one direct-mapped JNA call ({@link LibCDirect}) on reused byte buffers. {@code Files.readSymbolicLink} builds and parses
 * two Paths per link, which was most of the cost of walking ~20,000 fds. Not thread-safe (one per walker).
 */
public final class Readlink {
    private final byte[] path = new byte[256];
    private final byte[] target = new byte[256];
    private final byte[] prefix;

    /** {@code proc}: the proc mount, e.g. "/proc". */
    public Readlink(String proc) {
        this.prefix = (proc.endsWith("/") ? proc : proc + "/").getBytes(StandardCharsets.US_ASCII);
    }

    /** The number between '[' and ']' of the link {@code <proc>/<pid>/<rest>} ("socket:[123]", "net:[4026531840]") when it starts with {@code kind}; -1 otherwise or when gone. */
    public long bracketNumber(int pid, String rest, byte[] kind) {
        int n = 0;
        System.arraycopy(prefix, 0, path, 0, prefix.length);
        n += prefix.length;
        n = putInt(n, pid);
        path[n++] = '/';
        for (int i = 0; i < rest.length() && n < path.length - 1; i++) {
            path[n++] = (byte) rest.charAt(i);
        }
        path[n] = 0;
        long len = LibCDirect.readlink(path, target, target.length);
        if (len <= kind.length + 1 || len >= target.length) {
            return -1;
        }
        for (int i = 0; i < kind.length; i++) {
            if (target[i] != kind[i]) {
                return -1;
            }
        }
        if (target[(int) len - 1] != ']') {
            return -1;
        }
        long v = 0;
        for (int i = kind.length; i < len - 1; i++) {
            int d = target[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }

    public static final byte[] SOCKET = "socket:[".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] NET = "net:[".getBytes(StandardCharsets.US_ASCII);

    private int putInt(int n, int v) {
        String s = Integer.toString(v);
        for (int i = 0; i < s.length(); i++) {
            path[n++] = (byte) s.charAt(i);
        }
        return n;
    }
}
