package dev.conntrail.schemas;

import it.unimi.dsi.fastutil.HashCommon;

/**
 * {@link Addresses#format} with a direct-mapped cache: a host's events and sockets name the same few addresses
 * over and over, and formatting each anew (plus the byte[] it needs) was a measurable part of the tracer's decoder
 * and a third of assembling a snapshot (BENCHMARKS.md). A miss formats and replaces the slot. Keys are the address
 * bytes read as little-endian words, as a decoder reads them out of a record. Not thread-safe: one per thread.
 */
public final class AddressTextCache {
    private final int mask;
    private final int[] v4Keys;
    private final String[] v4Texts;
    private final long[] v6High;
    private final long[] v6Low;
    private final String[] v6Texts;

    /** {@code slots}: per family, rounded up to a power of two. */
    public AddressTextCache(int slots) {
        int n = HashCommon.nextPowerOfTwo(Math.max(2, slots));
        mask = n - 1;
        v4Keys = new int[n];
        v4Texts = new String[n];
        v6High = new long[n];
        v6Low = new long[n];
        v6Texts = new String[n];
    }

    /** {@code raw}: the 4 address bytes (network order in memory) read as a little-endian int. */
    public String ipv4(int raw) {
        int slot = HashCommon.mix(raw) & mask;
        String text = v4Texts[slot];
        if (text != null && v4Keys[slot] == raw) {
            return text;
        }
        text = Addresses.ipv4(Integer.reverseBytes(raw));
        v4Keys[slot] = raw;
        v4Texts[slot] = text;
        return text;
    }

    /** {@code high}, {@code low}: the 16 address bytes read as two little-endian longs (bytes 0-7, 8-15). */
    public String ipv6(long high, long low) {
        int slot = (int) HashCommon.mix(high ^ Long.rotateLeft(low, 32)) & mask;
        String text = v6Texts[slot];
        if (text != null && v6High[slot] == high && v6Low[slot] == low) {
            return text;
        }
        byte[] bytes = new byte[16];
        for (int i = 0; i < 8; i++) {
            bytes[i] = (byte) (high >>> (8 * i));
            bytes[8 + i] = (byte) (low >>> (8 * i));
        }
        text = Addresses.format(bytes);
        v6High[slot] = high;
        v6Low[slot] = low;
        v6Texts[slot] = text;
        return text;
    }

    /** The text of a 4- or 16-byte address in network order; any other length is refused as {@link Addresses#format} does. */
    public String format(byte[] a) {
        if (a.length == 4) {
            return ipv4(littleEndianInt(a));
        }
        if (a.length == 16) {
            return ipv6(littleEndianLong(a, 0), littleEndianLong(a, 8));
        }
        return Addresses.format(a);
    }

    private static int littleEndianInt(byte[] a) {
        return (a[0] & 0xff) | (a[1] & 0xff) << 8 | (a[2] & 0xff) << 16 | (a[3] & 0xff) << 24;
    }

    private static long littleEndianLong(byte[] a, int off) {
        long w = 0;
        for (int i = 7; i >= 0; i--) {
            w = w << 8 | (a[off + i] & 0xff);
        }
        return w;
    }
}
