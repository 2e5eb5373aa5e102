package dev.conntrail.producer.snapshot;

/**
 * A set of longs without boxing (open addressing, linear probing), for deduplicating the ~20,000
 * socket cookies of one iterator pass; {@code java.util.HashSet<Long>} boxes each one. 0 is a valid member.
 */
final class LongSet {
    private long[] keys;
    private boolean[] used;
    private int size;

    LongSet(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        used = new boolean[cap];
    }

    /** Adds {@code v}; false if it was already there. */
    boolean add(long v) {
        if (size * 2 >= keys.length) {
            grow();
        }
        return insert(keys, used, v);
    }

    boolean contains(long v) {
        int mask = keys.length - 1;
        int i = mix(v) & mask;
        while (used[i]) {
            if (keys[i] == v) {
                return true;
            }
            i = (i + 1) & mask;
        }
        return false;
    }

    int size() {
        return size;
    }

    /** The members, in no particular order. */
    long[] toArray() {
        long[] out = new long[size];
        int n = 0;
        for (int i = 0; i < keys.length; i++) {
            if (used[i]) {
                out[n++] = keys[i];
            }
        }
        return out;
    }

    private boolean insert(long[] k, boolean[] u, long v) {
        int mask = k.length - 1;
        int i = mix(v) & mask;
        while (u[i]) {
            if (k[i] == v) {
                return false;
            }
            i = (i + 1) & mask;
        }
        u[i] = true;
        k[i] = v;
        size++;
        return true;
    }

    private void grow() {
        long[] oldKeys = keys;
        boolean[] oldUsed = used;
        keys = new long[oldKeys.length * 2];
        used = new boolean[oldKeys.length * 2];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldUsed[i]) {
                insert(keys, used, oldKeys[i]);
            }
        }
    }

    private static int mix(long v) {
        long h = v * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
