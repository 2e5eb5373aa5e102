package dev.conntrail.producer.bpf.decode;

import it.unimi.dsi.fastutil.HashCommon;

/**
 * Boxed field values that repeat from event to event (netns, uid, cgroup, pid, tid, a listener's port):
 * {@link dev.conntrail.avro.TcpEvent} holds them boxed, and a fresh box per field per event was most of
 * the decoder's garbage after the text caches (fresh heap pages fault in a young JVM). A small
 * direct-mapped table per kind; a miss boxes and replaces the slot. Not thread-safe.
 */
final class BoxCache {
    private static final int SLOTS = 256; // power of two
    private final Long[] longs = new Long[SLOTS];
    private final Integer[] ints = new Integer[SLOTS];

    Long boxLong(long v) {
        int slot = mix((int) (v ^ (v >>> 32)));
        Long b = longs[slot];
        if (b == null || b != v) {
            b = v;
            longs[slot] = b;
        }
        return b;
    }

    Integer boxInt(int v) {
        int slot = mix(v);
        Integer b = ints[slot];
        if (b == null || b != v) {
            b = v;
            ints[slot] = b;
        }
        return b;
    }

    private static int mix(int h) {
        return HashCommon.mix(h) & (SLOTS - 1);
    }
}
