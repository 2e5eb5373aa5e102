package dev.conntrail.topology.state;

/**
 * What the topology remembers of one host (design rule 5, convergence): liveness, root namespace,
 * the snapshot in progress.
 */
public final class HostState {
    /** Wall-clock ms when the topology last processed a record of this host. */
    public long lastSeen;
    /** True once its OPEN rows were closed HOST_LOST; cleared by its next record. */
    public boolean lost;
    /** Root netns inode named by the host's HEARTBEAT or SNAPSHOT_END; RowState.NONE if never named. */
    public long rootNetns = RowState.NONE;
    /** The snapshot whose SNAPSHOT records are arriving, its agent epoch and its first seq. */
    public String snapshotId;
    public long snapshotEpoch = RowState.NONE;
    public long snapshotStartSeq = RowState.NONE;

    public HostState copy() {
        HostState c = new HostState();
        c.lastSeen = lastSeen;
        c.lost = lost;
        c.rootNetns = rootNetns;
        c.snapshotId = snapshotId;
        c.snapshotEpoch = snapshotEpoch;
        c.snapshotStartSeq = snapshotStartSeq;
        return c;
    }

    public boolean sameExceptLastSeen(HostState o) {
        return o != null && lost == o.lost && rootNetns == o.rootNetns && java.util.Objects.equals(snapshotId, o.snapshotId)
                && snapshotEpoch == o.snapshotEpoch && snapshotStartSeq == o.snapshotStartSeq;
    }
}
