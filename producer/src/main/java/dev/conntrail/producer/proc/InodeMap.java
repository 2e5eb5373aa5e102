package dev.conntrail.producer.proc;

/**
 * Socket inode → value, open addressing on primitive keys: a snapshot maps ~20,000 inodes, and a
 * {@code HashMap<Long, ...>} boxes every key on insert and lookup. Inode 0 (no file) is never stored.
 */
final class InodeMap {
    private long[] keys;
    private Object[] values;
    private int size;

    InodeMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new Object[cap];
    }

    Object get(long inode) {
        int mask = keys.length - 1;
        for (int i = mix(inode) & mask; values[i] != null; i = (i + 1) & mask) {
            if (keys[i] == inode) {
                return values[i];
            }
        }
        return null;
    }

    void put(long inode, Object value) {
        int mask = keys.length - 1;
        int i = mix(inode) & mask;
        while (values[i] != null) {
            if (keys[i] == inode) {
                values[i] = value;
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = inode;
        values[i] = value;
        if (++size * 2 > keys.length) {
            grow();
        }
    }

    int size() {
        return size;
    }

    private void grow() {
        long[] oldKeys = keys;
        Object[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new Object[oldKeys.length * 2];
        int mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldValues[j] != null) {
                int i = mix(oldKeys[j]) & mask;
                while (values[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                values[i] = oldValues[j];
            }
        }
    }

    private static int mix(long v) {
        long h = v * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
