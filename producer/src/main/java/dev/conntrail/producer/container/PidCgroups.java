package dev.conntrail.producer.container;

import it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cgroup of each socket owner in one snapshot pass: {@code /proc/PID/cgroup} read once per pid
 * per pass (a process holds many sockets) and parsed once per distinct content (processes share cgroups), the v2 path's directory inode as the cgroup id, the
 * container from the v2 path or the v1 paths ({@link ContainerIds}). On a host without a cgroup v2
 * hierarchy every id is null, and so is the id of a cgroup outside the agent's cgroup namespace: counted per pass
 * (the snapshot stats' ownersWithoutCgroupId), and said once. Not thread-safe: one pass at a time.
 */
public final class PidCgroups {
    private static final Logger LOG = LoggerFactory.getLogger(PidCgroups.class);
    private final Path proc;
    private final CgroupHierarchy hierarchy;
    private final Int2ObjectOpenHashMap<CgroupMembership> pass = new Int2ObjectOpenHashMap<>();
    private final java.util.HashMap<String, CgroupMembership> byText = new java.util.HashMap<>(); // processes share cgroups
    private final byte[] buf = new byte[4096];
    private int withoutId;
    private boolean saidNoV2;
    private boolean saidNamespace;

    public PidCgroups() {
        this(Paths.get("/proc"), CgroupHierarchy.detect());
    }

    public PidCgroups(Path proc, CgroupHierarchy hierarchy) {
        this.proc = proc;
        this.hierarchy = hierarchy;
    }

    /** Forgets the previous pass: pids are reused and processes move between cgroups. */
    public void newPass() {
        pass.clear();
        byText.clear();
        withoutId = 0;
    }

    /** The cgroup of {@code pid} in this pass; {@link CgroupMembership#NONE} when the process is gone. */
    public CgroupMembership of(int pid) {
        CgroupMembership m = pass.get(pid);
        if (m == null) {
            m = read(pid);
            pass.put(pid, m);
        }
        return m;
    }

    private CgroupMembership read(int pid) {
        String text = ProcessCgroups.readText(proc, pid, buf);
        if (text == null) {
            return CgroupMembership.NONE;
        }
        CgroupMembership known = byText.get(text); // the same file, the same cgroups: no parse, no stat
        if (known != null) {
            withoutId += known.cgroupId() == null ? 1 : 0;
            return known;
        }
        ProcessCgroups cgroups = ProcessCgroups.parse(text);
        Long id = hierarchy.idOf(cgroups.unified());
        if (id == null) {
            withoutId++;
            if (!hierarchy.available() && !saidNoV2) {
                saidNoV2 = true;
                LOG.info("no cgroup v2 hierarchy under /sys/fs/cgroup (cgroup v1 only): snapshot records carry no cgroupId;"
                        + " containers are still named from the v1 paths");
            } else if (cgroups.unified() != null && cgroups.unified().startsWith("/..") && !saidNamespace) {
                saidNamespace = true;
                LOG.info("this agent's cgroup namespace hides other processes' cgroups ({}): their snapshot records carry no"
                        + " cgroupId (containers are still named); run the agent in the host's cgroup namespace for them",
                        cgroups.unified());
            }
        }
        CgroupMembership m = new CgroupMembership(id, ContainerIds.of(cgroups));
        byText.put(text, m);
        return m;
    }

    /** Processes of this pass whose cgroup had no id: no v2 hierarchy, a path outside this cgroup namespace, or gone. */
    public int withoutId() {
        return withoutId;
    }

    public CgroupHierarchy hierarchy() {
        return hierarchy;
    }
}
