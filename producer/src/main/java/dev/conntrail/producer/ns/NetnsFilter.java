package dev.conntrail.producer.ns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The network namespaces an agent watches ({@code producer --netns}): all when none is named. A namespace is named
 * by its inode ({@code 4026532001}, as in {@code /proc/PID/ns/net}), a path to it ({@code /proc/PID/ns/net},
 * {@code /run/netns/NAME}) or an {@code ip netns} name (looked up under {@code /run/netns}).
 */
public final class NetnsFilter {
    public static final NetnsFilter ALL = new NetnsFilter(Set.of());
    private static final Path IP_NETNS_DIR = Path.of("/run/netns");
    private final Set<Long> inodes;

    private NetnsFilter(Set<Long> inodes) {
        this.inodes = Set.copyOf(inodes);
    }

    public static NetnsFilter of(Set<Long> inodes) {
        return inodes.isEmpty() ? ALL : new NetnsFilter(inodes);
    }

    /**
     * @throws IllegalArgumentException naming the value and what to pass instead, for a namespace that cannot be found
     */
    public static NetnsFilter resolve(List<String> names) {
        List<Long> inodes = new ArrayList<>();
        for (String name : names) inodes.add(inodeOf(name));
        return of(Set.copyOf(inodes));
    }

    static long inodeOf(String name) {
        if (name.isEmpty()) throw new IllegalArgumentException("--netns: an empty namespace name");
        if (name.chars().allMatch(Character::isDigit)) {
            try {
                return Long.parseLong(name);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--netns " + name + ": not an inode number");
            }
        }
        Path path = name.contains("/") ? Path.of(name) : IP_NETNS_DIR.resolve(name);
        try {
            return ((Number) Files.getAttribute(path, "unix:ino")).longValue();
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalArgumentException("--netns " + name + ": no network namespace at " + path + " (" + e.getMessage()
                    + "); pass an inode, a path such as /proc/PID/ns/net, or a name listed by `ip netns`");
        }
    }

    public boolean watchesAll() {
        return inodes.isEmpty();
    }

    /** Whether a record of this namespace is published; a record without a namespace is, only when all are watched. */
    public boolean admits(Long netns) {
        return inodes.isEmpty() || (netns != null && inodes.contains(netns));
    }

    public Set<Long> inodes() {
        return inodes;
    }

    @Override
    public String toString() {
        return inodes.isEmpty() ? "all" : inodes.toString();
    }
}
