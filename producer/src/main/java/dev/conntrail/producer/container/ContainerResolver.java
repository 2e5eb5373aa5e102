package dev.conntrail.producer.container;

import dev.conntrail.avro.TcpEvent;
import it.unimi.dsi.fastutil.longs.Long2ObjectLinkedOpenHashMap;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.function.LongSupplier;

/**
 * Cgroup id (from the kernel, on tracer events) to container id. A bounded cache (least recently used
 * out) is filled by snapshots ({@link #learn}), by walking the cgroup v2 hierarchy once, and on a miss
 * by the event's process ({@code /proc/PID/cgroup}, checked against the id where this agent's cgroup namespace
 * lets it see the cgroup, else believed) or, when the process is
 * gone, by walking the hierarchy again — at most once a second, since a connection of a process that
 * ended with its cgroup would otherwise walk on every event. An id no walk found is remembered as no
 * container. Id 0 (the owner was not known in the kernel) resolves to null. Thread-safe.
 */
public final class ContainerResolver {
    static final int CAPACITY = 16_384;
    static final long WALK_INTERVAL_NANOS = 1_000_000_000L;
    private static final String NO_CONTAINER = "";

    private final Path proc;
    private final CgroupHierarchy hierarchy;
    private final LongSupplier nanoTime;
    private final Long2ObjectLinkedOpenHashMap<String> cache = new Long2ObjectLinkedOpenHashMap<>();
    private long lastWalk;
    private boolean walked;
    private long misses;
    private long unresolved;
    private long walks;

    public ContainerResolver() {
        this(Paths.get("/proc"), CgroupHierarchy.detect(), System::nanoTime);
    }

    public ContainerResolver(Path proc, CgroupHierarchy hierarchy, LongSupplier nanoTime) {
        this.proc = proc;
        this.hierarchy = hierarchy;
        this.nanoTime = nanoTime;
    }

    /** The container of cgroup {@code cgroupId}, or null; {@code pid}, when known, is a process that was in it. */
    public synchronized String containerOf(long cgroupId, Integer pid) {
        if (cgroupId == 0 || !hierarchy.available()) {
            return null;
        }
        String c = cache.getAndMoveToLast(cgroupId);
        if (c != null) {
            return c.isEmpty() ? null : c;
        }
        misses++;
        if (pid != null) {
            ProcessCgroups cgroups = ProcessCgroups.read(proc, pid);
            if (cgroups != null) {
                Long seen = hierarchy.idOf(cgroups.unified());
                // in a cgroup namespace of its own (a container) the agent sees other cgroups as /../..: their ids
                // cannot be checked, and the process the kernel just named is believed
                if (Long.valueOf(cgroupId).equals(seen) || seen == null && outsideNamespace(cgroups.unified())) {
                    return remember(cgroupId, ContainerIds.of(cgroups));
                }
            }
        }
        long now = nanoTime.getAsLong();
        if (!walked || now - lastWalk >= WALK_INTERVAL_NANOS) {
            walked = true;
            lastWalk = now;
            walk();
            c = cache.getAndMoveToLast(cgroupId);
            if (c != null) {
                return c.isEmpty() ? null : c;
            }
            unresolved++;
            remember(cgroupId, null); // gone, or outside the hierarchy this agent sees: no container
            return null;
        }
        unresolved++; // not cached: a walk a moment later may still find it
        return null;
    }

    /** Sets the container of an event that has a cgroup id and no container yet. */
    public void tag(TcpEvent e) {
        Long cgroupId = e.getCgroupId();
        if (cgroupId != null && e.getContainer() == null) {
            e.setContainer(containerOf(cgroupId, e.getPid()));
        }
    }

    /** What a snapshot found: the cgroup {@code cgroupId} is container {@code container} (null: none). */
    public synchronized void learn(long cgroupId, String container) {
        if (cgroupId != 0) {
            remember(cgroupId, container);
        }
    }

    private static boolean outsideNamespace(String path) {
        return path != null && (path.startsWith("/../") || path.equals("/.."));
    }

    private String remember(long cgroupId, String container) {
        cache.putAndMoveToLast(cgroupId, container == null ? NO_CONTAINER : container);
        if (cache.size() > CAPACITY) {
            cache.removeFirst();
        }
        return container;
    }

    private void walk() {
        walks++;
        hierarchy.walk((path, id) -> {
            String container = ContainerIds.fromPath(path);
            // the cache keeps the containers' cgroups first: the rest resolve to null on a miss anyway
            if (container != null || cache.size() < CAPACITY) {
                remember(id, container);
            }
        });
    }

    /** Look-ups the cache could not answer. */
    public synchronized long misses() {
        return misses;
    }

    /** Look-ups that ended without an answer (counted in {@link #misses()} too). */
    public synchronized long unresolved() {
        return unresolved;
    }

    public synchronized long walks() {
        return walks;
    }

    synchronized int cached() {
        return cache.size();
    }
}
