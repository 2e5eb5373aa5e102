package dev.conntrail.producer.snapshot;

import dev.conntrail.schemas.Addresses;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link Addresses#format} with a cache for one snapshot: a host's sockets share few addresses (its own,
 * loopback, a set of peers), and formatting each of ~40,000 addresses anew was a third of assembling
 * the snapshot. IPv4 (and v4-mapped IPv6) are cached by their 32-bit value without boxing.
 */
final class AddressTexts {
    private int[] v4Keys = new int[256];
    private String[] v4Texts = new String[256];
    private int v4Size;
    private final Map<V6, String> v6 = new HashMap<>();

    private record V6(long hi, long lo) {
    }

    String format(byte[] a) {
        if (a.length == 4) {
            return v4(a, 0, false);
        }
        if (a.length == 16) {
            if (Addresses.isV4Mapped(a)) {
                return v4(a, 12, true);
            }
            return v6.computeIfAbsent(new V6(word(a, 0), word(a, 8)), k -> Addresses.format(a));
        }
        return Addresses.format(a); // throws the documented error
    }

    private String v4(byte[] a, int off, boolean mapped) {
        int v = (a[off] & 0xff) << 24 | (a[off + 1] & 0xff) << 16 | (a[off + 2] & 0xff) << 8 | (a[off + 3] & 0xff);
        // mapped and plain share the table: the mapped text is kept under a separate slot kind
        int mask = v4Keys.length - 1;
        int i = (v * 0x9E3779B1 >>> 7 ^ (mapped ? 1 : 0)) & mask;
        while (v4Texts[i] != null) {
            if (v4Keys[i] == v && v4Texts[i].startsWith("::") == mapped) {
                return v4Texts[i];
            }
            i = (i + 1) & mask;
        }
        String text = mapped ? "::ffff:" + Addresses.ipv4(v) : Addresses.ipv4(v);
        v4Keys[i] = v;
        v4Texts[i] = text;
        if (++v4Size * 2 >= v4Keys.length) {
            grow();
        }
        return text;
    }

    private void grow() {
        int[] oldKeys = v4Keys;
        String[] oldTexts = v4Texts;
        v4Keys = new int[oldKeys.length * 2];
        v4Texts = new String[oldKeys.length * 2];
        int mask = v4Keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldTexts[j] != null) {
                boolean mapped = oldTexts[j].startsWith("::");
                int i = (oldKeys[j] * 0x9E3779B1 >>> 7 ^ (mapped ? 1 : 0)) & mask;
                while (v4Texts[i] != null) {
                    i = (i + 1) & mask;
                }
                v4Keys[i] = oldKeys[j];
                v4Texts[i] = oldTexts[j];
            }
        }
    }

    private static long word(byte[] a, int off) {
        long w = 0;
        for (int i = 0; i < 8; i++) {
            w = w << 8 | (a[off + i] & 0xff);
        }
        return w;
    }
}
