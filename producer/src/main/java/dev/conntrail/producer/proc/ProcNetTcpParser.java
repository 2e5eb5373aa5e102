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
        Tokens t = new Tokens(line);
        String slot = t.next();
        if (slot == null || !slot.endsWith(":")) {
            throw new ProcParseException("no slot number: " + abbreviate(line));
        }
        int addrHex = ipv6 ? 32 : 8;
        String local = t.next();
        String remote = t.next();
        byte[] laddr = address(local, addrHex, line);
        int lport = port(local, addrHex, line);
        byte[] raddr = address(remote, addrHex, line);
        int rport = port(remote, addrHex, line);
        int state = (int) hex(t.next(), 1, 2, line);
        t.next(); // tx_queue:rx_queue
        t.next(); // tr:tm->when
        t.next(); // retrnsmt
        long uid = decimal(t.next(), line);
        t.next(); // timeout
        long inode = decimal(t.next(), line);
        return new RawSocket(netns, ipv6, laddr, lport, raddr, rport, state, uid, inode, null);
    }

    private static byte[] address(String field, int hexDigits, String line) throws ProcParseException {
        if (field == null || field.length() != hexDigits + 5 || field.charAt(hexDigits) != ':') {
            throw new ProcParseException("bad address field: " + abbreviate(line));
        }
        byte[] out = new byte[hexDigits / 2];
        for (int word = 0; word < hexDigits / 8; word++) {
            long v = hexRange(field, word * 8, word * 8 + 8, line);
            // host (little-endian) order within each 32-bit word: lowest byte first in memory
            out[word * 4] = (byte) v;
            out[word * 4 + 1] = (byte) (v >>> 8);
            out[word * 4 + 2] = (byte) (v >>> 16);
            out[word * 4 + 3] = (byte) (v >>> 24);
        }
        return out;
    }

    private static int port(String field, int hexDigits, String line) throws ProcParseException {
        return (int) hexRange(field, hexDigits + 1, hexDigits + 5, line);
    }

    private static long hex(String s, int minLen, int maxLen, String line) throws ProcParseException {
        if (s == null || s.length() < minLen || s.length() > maxLen) {
            throw new ProcParseException("bad hex field: " + abbreviate(line));
        }
        return hexRange(s, 0, s.length(), line);
    }

    private static long hexRange(String s, int from, int to, String line) throws ProcParseException {
        long v = 0;
        for (int i = from; i < to; i++) {
            int d = Character.digit(s.charAt(i), 16);
            if (d < 0) {
                throw new ProcParseException("bad hex digit: " + abbreviate(line));
            }
            v = (v << 4) | d;
        }
        return v;
    }

    private static long decimal(String s, String line) throws ProcParseException {
        if (s == null || s.isEmpty() || s.length() > 19) {
            throw new ProcParseException("bad number field: " + abbreviate(line));
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new ProcParseException("bad number field: " + abbreviate(line));
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static String abbreviate(String line) {
        return line.length() > 80 ? line.substring(0, 80) + "..." : line;
    }

    /** Whitespace-separated fields without regex. */
    private static final class Tokens {
        private final String s;
        private int pos;

        Tokens(String s) {
            this.s = s;
        }

        String next() {
            int n = s.length();
            while (pos < n && s.charAt(pos) <= ' ') {
                pos++;
            }
            if (pos >= n) {
                return null;
            }
            int start = pos;
            while (pos < n && s.charAt(pos) > ' ') {
                pos++;
            }
            return s.substring(start, pos);
        }
    }
}
