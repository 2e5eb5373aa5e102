package dev.conntrail.producer.bpf.decode;

import it.unimi.dsi.fastutil.HashCommon;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The {@code comm} of a record (16 bytes, NUL-terminated) as a String, cached by its raw bytes in
 * a small direct-mapped table: a host has few distinct process names, and a new String per event
 * was avoidable garbage. A miss decodes and replaces the slot. Not thread-safe.
 */
final class CommCache {
    private static final int SLOTS = 256; // power of two
    private final long[] first = new long[SLOTS];
    private final long[] second = new long[SLOTS];
    private final String[] texts = new String[SLOTS];

    /** The comm at {@code off} of little-endian {@code b}. */
    String comm(ByteBuffer b, int off) {
        long lo = b.getLong(off);
        long hi = b.getLong(off + 8);
        int slot = (int) HashCommon.mix(lo ^ hi) & (SLOTS - 1);
        String text = texts[slot];
        if (text != null && first[slot] == lo && second[slot] == hi) {
            return text;
        }
        int n = 0;
        while (n < 16 && b.get(off + n) != 0) {
            n++;
        }
        byte[] bytes = new byte[n];
        b.get(off, bytes);
        text = new String(bytes, StandardCharsets.UTF_8);
        first[slot] = lo;
        second[slot] = hi;
        texts[slot] = text;
        return text;
    }
}
