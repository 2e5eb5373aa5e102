package dev.conntrail.producer.bpf.decode;

import dev.conntrail.schemas.Addresses;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Address text ({@link Addresses#format}) for addresses read straight out of a record, cached in
 * small direct-mapped tables: a host's events name the same few addresses over and over, and
 * formatting plus the byte[] it needs were a measurable part of the decoder's allocation (see
 * BENCHMARKS.md, "Tracer"). A miss formats and replaces the slot. Not thread-safe.
 */
final class AddressTextCache {
    private static final int SLOTS = 1024; // power of two
    private final int[] v4Keys = new int[SLOTS];
    private final String[] v4Texts = new String[SLOTS];
    private final long[] v6High = new long[SLOTS];
    private final long[] v6Low = new long[SLOTS];
    private final String[] v6Texts = new String[SLOTS];

    /** {@code raw}: the 4 address bytes as read little-endian from the record (network order in memory). */
    String ipv4(int raw) {
        int slot = mix(raw) & (SLOTS - 1);
        String text = v4Texts[slot];
        if (text != null && v4Keys[slot] == raw) {
            return text;
        }
        text = Addresses.ipv4(Integer.reverseBytes(raw));
        v4Keys[slot] = raw;
        v4Texts[slot] = text;
        return text;
    }

    /** {@code high}, {@code low}: the 16 address bytes as two little-endian longs (bytes 0-7, 8-15). */
    String ipv6(long high, long low) {
        int slot = mix((int) (high ^ (high >>> 32) ^ low ^ (low >>> 32))) & (SLOTS - 1);
        String text = v6Texts[slot];
        if (text != null && v6High[slot] == high && v6Low[slot] == low) {
            return text;
        }
        byte[] bytes = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(high).putLong(low).array();
        text = Addresses.format(bytes);
        v6High[slot] = high;
        v6Low[slot] = low;
        v6Texts[slot] = text;
        return text;
    }

    private static int mix(int h) {
        h *= 0x9E3779B1;
        return h ^ (h >>> 16);
    }
}
