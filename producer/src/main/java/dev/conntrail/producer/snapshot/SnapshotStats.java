package dev.conntrail.producer.snapshot;

/**
 * What a snapshot cost and what it skipped: the method, namespaces walked and how many could not be
 * entered (gone meanwhile), processes and fds walked, sockets seen, malformed lines/messages skipped,
 * sockets with no owner, and the wall time in microseconds: in total and for its three phases
 * (namespace discovery, reading the sockets, finding their owners); and how many namespaces were
 * read with sock_diag (all of them for SOCK_DIAG; for BPF_ITER only those with sockets no process holds);
 * and the time spent joining sockets with owners into entries ({@code assembleMicros}, part of {@code micros});
 * and for BPF_ITER how many namespaces were settled by a dump of listeners alone ({@code listenerDumps}:
 * their only unheld sockets were listeners, so no full sock_diag dump was needed), and how many sockets had
 * no cookie yet and had it generated first ({@code cookiesGenerated}: the iterator that reads stored cookies),
 * and how many namespaces could not be read whole ({@code namespacesIncomplete}: entering them was refused —
 * no CAP_SYS_ADMIN — or some of their sockets could not be named): unlike {@code namespacesFailed} (gone
 * during the walk, nothing lost), their sockets are missing from the snapshot; and how many owning processes
 * had no cgroup id to give ({@code ownersWithoutCgroupId}: no cgroup v2 hierarchy, a cgroup outside the agent's
 * cgroup namespace, or gone meanwhile).
 */
public record SnapshotStats(String method, int namespaces, int namespacesFailed, int processes, long fds,
                            int socketsSeen, int malformed, int unowned, long micros,
                            long discoverMicros, long socketsMicros, long ownersMicros, int sockDiagNamespaces,
                            long assembleMicros, int listenerDumps, int cookiesGenerated,
                            int namespacesIncomplete, int ownersWithoutCgroupId) {

    /** True when every namespace that exists was read whole. */
    public boolean complete() {
        return namespacesIncomplete == 0;
    }
}
