package dev.conntrail.topology.rows;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Row keys by group (a host, a tuple): what the store's prefix scans answered, for rows kept on
 * the heap. Most tuples have one row, so a group holds a bare key until it has two (a set then).
 */
final class GroupIndex {
    private final Map<String, Object> groups = new HashMap<>();

    void add(String group, String key) {
        Object members = groups.get(group);
        if (members == null) {
            groups.put(group, key);
        } else if (members instanceof String one) {
            if (!one.equals(key)) {
                Set<String> set = new HashSet<>();
                set.add(one);
                set.add(key);
                groups.put(group, set);
            }
        } else {
            set(members).add(key);
        }
    }

    void remove(String group, String key) {
        Object members = groups.get(group);
        if (members instanceof String one) {
            if (one.equals(key)) groups.remove(group);
        } else if (members != null) {
            Set<String> set = set(members);
            set.remove(key);
            if (set.isEmpty()) groups.remove(group);
        }
    }

    /** A copy: callers change rows while they walk it. */
    List<String> members(String group) {
        Object members = groups.get(group);
        if (members == null) return List.of();
        if (members instanceof String one) return List.of(one);
        return new ArrayList<>(set(members));
    }

    void clear() {
        groups.clear();
    }

    @SuppressWarnings("unchecked")
    private static Set<String> set(Object members) {
        return (Set<String>) members;
    }
}
