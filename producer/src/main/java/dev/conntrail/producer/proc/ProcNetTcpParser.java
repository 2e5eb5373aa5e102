package dev.conntrail.producer.proc;

import dev.conntrail.producer.snapshot.RawSocket;

/**
 * Parses lines of {@code /proc/net/tcp} and {@code /proc/net/tcp6} (net/ipv4/tcp_ipv4.c,
 * net/ipv6/tcp_ipv6.c):
 * <pre>  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ...
 *    0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 23456 ...</pre>
 * The address is printed as 32-bit words with {@code %08X}, each word in host byte order: on
 * little-endian machines 127.0.0.1 reads {@code 0100007F}, and an IPv6 address is four such words
 * (the classic bug is reading the 32 hex digits as one big-endian number). Ports are plain numbers.
 */
public final class ProcNetTcpParser {
    private ProcNetTcpParser() {
    }

    /** True for the column header line every file starts with. */
    public static boolean isHeader(String line) {
        return line.trim().startsWith("sl");
    }

    /** One socket line; {@code ipv6} says which file it came from. */
    public static RawSocket parse(String line, long netns, boolean ipv6) throws ProcParseException {
        if (line == null) {
            throw new ProcParseException("null line");
        }
        byte[] b = line.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        return parse(b, 0, b.length, netns, ipv6);
    }

    /**
     * One socket line from bytes {@code [from, to)} of a file read whole (no String per line or field:
     * the /proc path parses ~20,000 lines per snapshot on a busy host).
     */
    public static RawSocket parse(byte[] b, int from, int to, long netns, boolean ipv6) throws ProcParseException {
        Cursor c = new Cursor(b, from, to);
        int slotEnd = c.field();
        if (slotEnd < 0 || b[slotEnd - 1] != ':') {
            throw c.error("no slot number");
        }
        int addrHex = ipv6 ? 32 : 8;
        c.expectField(addrHex + 5, "bad address field");
        int local = c.start;
        c.expectField(addrHex + 5, "bad address field");
        int remote = c.start;
        byte[] laddr = address(c, local, addrHex);
        int lport = (int) c.hex(local + addrHex + 1, local + addrHex + 5);
        byte[] raddr = address(c, remote, addrHex);
        int rport = (int) c.hex(remote + addrHex + 1, remote + addrHex + 5);
        int stEnd = c.field();
        if (stEnd < 0 || stEnd - c.start < 1 || stEnd - c.start > 2) {
            throw c.error("bad hex field");
        }
        int state = (int) c.hex(c.start, stEnd);
        c.field(); // tx_queue:rx_queue
        c.field(); // tr:tm->when
        c.field(); // retrnsmt
        long uid = c.decimal();
        c.field(); // timeout
        long inode = c.decimal();
        return new RawSocket(netns, ipv6, laddr, lport, raddr, rport, state, uid, inode, null, null);
    }

    private static byte[] address(Cursor c, int at, int hexDigits) throws ProcParseException {
        if (c.b[at + hexDigits] != ':') {
            throw c.error("bad address field");
        }
        byte[] out = new byte[hexDigits / 2];
        for (int word = 0; word < hexDigits / 8; word++) {
            long v = c.hex(at + word * 8, at + word * 8 + 8);
            // host (little-endian) order within each 32-bit word: lowest byte first in memory
            out[word * 4] = (byte) v;
            out[word * 4 + 1] = (byte) (v >>> 8);
            out[word * 4 + 2] = (byte) (v >>> 16);
            out[word * 4 + 3] = (byte) (v >>> 24);
        }
        return out;
    }

    /** Whitespace-separated fields of one line, by position: no String per field. */
    private static final class Cursor {
        final byte[] b;
        final int from;
        final int to;
        int pos;
        int start;

        Cursor(byte[] b, int from, int to) {
            this.b = b;
            this.from = from;
            this.to = to;
            this.pos = from;
        }

        /** Moves to the next field; returns its end (its start in {@link #start}), or -1 if none is left. */
        int field() {
            while (pos < to && (b[pos] & 0xff) <= ' ') {
                pos++;
            }
            if (pos >= to) {
                return -1;
            }
            start = pos;
            while (pos < to && (b[pos] & 0xff) > ' ') {
                pos++;
            }
            return pos;
        }

        void expectField(int length, String what) throws ProcParseException {
            int end = field();
            if (end < 0 || end - start != length) {
                throw error(what);
            }
        }

        long hex(int f, int t) throws ProcParseException {
            long v = 0;
            for (int i = f; i < t; i++) {
                int d = Character.digit(b[i] & 0xff, 16);
                if (d < 0) {
                    throw error("bad hex digit");
                }
                v = (v << 4) | d;
            }
            return v;
        }

        long decimal() throws ProcParseException {
            int end = field();
            if (end < 0 || end - start > 19) {
                throw error("bad number field");
            }
            long v = 0;
            for (int i = start; i < end; i++) {
                int d = b[i] - '0';
                if (d < 0 || d > 9) {
                    throw error("bad number field");
                }
                v = v * 10 + d;
            }
            return v;
        }

        ProcParseException error(String what) {
            return new ProcParseException(what + ": " + abbreviate(new String(b, from, Math.max(0, to - from),
                    java.nio.charset.StandardCharsets.ISO_8859_1)));
        }
    }

    private static String abbreviate(String line) {
        return line.length() > 80 ? line.substring(0, 80) + "..." : line;
    }
}
