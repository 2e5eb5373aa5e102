package dev.conntrail.schemas;

/**
 * Addresses into the contract's text forms: IPv4 dotted, IPv6 in RFC 5952 (lower case, longest
 * run of two or more zero groups compressed, first run on ties), IPv4-mapped IPv6 as
 * {@code ::ffff:a.b.c.d}. {@link java.net.InetAddress#getHostAddress()} does none of the IPv6
 * compression and turns mapped addresses into plain IPv4, so it cannot be used for keys.
 */
public final class Addresses {
    private Addresses() {
    }

    /** Text of a 4-byte (IPv4) or 16-byte (IPv6) address in network byte order. */
    public static String format(byte[] addr) {
        if (addr.length == 4) {
            return ipv4(addr, 0);
        }
        if (addr.length == 16) {
            return ipv6(addr);
        }
        throw new IllegalArgumentException("an address has 4 or 16 bytes, not " + addr.length);
    }

    /** Text of an IPv4 address given as the 32-bit value in network byte order (a.b.c.d = a<<24|...). */
    public static String ipv4(int networkOrderValue) {
        return ((networkOrderValue >>> 24) & 0xff) + "." + ((networkOrderValue >>> 16) & 0xff) + "."
                + ((networkOrderValue >>> 8) & 0xff) + "." + (networkOrderValue & 0xff);
    }

    private static String ipv4(byte[] a, int off) {
        return (a[off] & 0xff) + "." + (a[off + 1] & 0xff) + "." + (a[off + 2] & 0xff) + "." + (a[off + 3] & 0xff);
    }

    /** True for ::ffff:a.b.c.d. */
    public static boolean isV4Mapped(byte[] a) {
        if (a.length != 16) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff;
    }

    private static String ipv6(byte[] a) {
        if (isV4Mapped(a)) {
            return "::ffff:" + ipv4(a, 12);
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestLen < 2) {
            bestStart = -1;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    /**
     * The IPv4 text an address compares as (design rule 7 (NAT): IPv4-mapped sockets compare by
     * their IPv4 address): {@code ::ffff:a.b.c.d} becomes {@code a.b.c.d}; anything else is returned as is.
     */
    public static String comparable(String text) {
        if (text != null && text.regionMatches(true, 0, "::ffff:", 0, 7) && text.indexOf('.') > 0) {
            return text.substring(7);
        }
        return text;
    }
}
