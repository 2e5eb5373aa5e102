package dev.conntrail.producer.container;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.ObjLongConsumer;

/**
 * The host's cgroup v2 hierarchy, where the kernel's cgroup ids live: a cgroup's id (what
 * {@code bpf_get_current_cgroup_id()} returns) is the inode number of its directory. Mounted at
 * {@code /sys/fs/cgroup} (unified hosts) or {@code /sys/fs/cgroup/unified} (hybrid hosts); a host with
 * v1 hierarchies only has none, and then no cgroup has an id ({@link #available()} false).
 */
public final class CgroupHierarchy {
    /** Walks stop here: a host has far fewer cgroups, so more means something is wrong. */
    static final int MAX_WALK = 200_000;
    private final Path root;

    private CgroupHierarchy(Path root) {
        this.root = root;
    }

    /** The v2 hierarchy under {@code /sys/fs/cgroup}. */
    public static CgroupHierarchy detect() {
        return detect(Paths.get("/sys/fs/cgroup"));
    }

    public static CgroupHierarchy detect(Path sysFsCgroup) {
        for (Path p : new Path[] {sysFsCgroup, sysFsCgroup.resolve("unified")}) {
            if (Files.exists(p.resolve("cgroup.controllers"), LinkOption.NOFOLLOW_LINKS)) {
                return new CgroupHierarchy(p);
            }
        }
        return new CgroupHierarchy(null);
    }

    public boolean available() {
        return root != null;
    }

    /** Where it is mounted, or null. */
    public Path root() {
        return root;
    }

    /**
     * The id of the cgroup at {@code path} (as /proc/PID/cgroup names it), or null: no v2 hierarchy,
     * the cgroup is gone, or the path lies outside this process's cgroup namespace ({@code /..}).
     */
    public Long idOf(String path) {
        if (root == null || path == null || !path.startsWith("/") || path.contains("/..")) {
            return null;
        }
        try {
            return (Long) Files.getAttribute(root.resolve(path.substring(1)), "unix:ino", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return null;
        }
    }

    /** Hands every cgroup (id, path as /proc names it) to {@code each}; returns how many. */
    public int walk(ObjLongConsumer<String> each) {
        if (root == null) {
            return 0;
        }
        int[] seen = {0};
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    Long ino;
                    try {
                        ino = (Long) Files.getAttribute(dir, "unix:ino", LinkOption.NOFOLLOW_LINKS);
                    } catch (IOException e) {
                        return FileVisitResult.SKIP_SUBTREE; // removed during the walk
                    }
                    each.accept("/" + root.relativize(dir), ino);
                    return ++seen[0] >= MAX_WALK ? FileVisitResult.TERMINATE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    return FileVisitResult.CONTINUE; // the interface files: no cgroups
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // removed during the walk
                }
            });
        } catch (IOException e) {
            // the root itself unreadable: what was seen stands
        }
        return seen[0];
    }
}
