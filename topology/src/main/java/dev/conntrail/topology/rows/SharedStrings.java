package dev.conntrail.topology.rows;

import java.util.HashMap;
import java.util.Map;

/**
 * One copy of each equal string the rows of a task hold: host names, local addresses and commands
 * repeat across thousands of rows, and every record decodes its own copies. Bounded: when it holds
 * {@code capacity} strings it starts over (rows keep the copies they have; later rows share anew),
 * so a stream of distinct remote addresses costs a rebuild now and then, never unbounded memory.
 */
final class SharedStrings {
    private final int capacity;
    private final Map<String, String> strings;

    SharedStrings(int capacity) {
        this.capacity = capacity;
        this.strings = new HashMap<>(Math.min(capacity, 1 << 16));
    }

    String of(String s) {
        if (s == null) return null;
        String shared = strings.putIfAbsent(s, s);
        if (shared != null) return shared;
        if (strings.size() > capacity) {
            strings.clear();
            strings.put(s, s);
        }
        return s;
    }

    int size() {
        return strings.size();
    }
}
