package dev.conntrail.topology.state;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;

/**
 * One row of the table as the topology keeps it: the {@link Connection} it publishes plus what the
 * rules need and readers do not — which snapshot last confirmed the socket, the (agentEpoch, seq)
 * of the last record that opened or refreshed it (design rule 5, convergence), and when the close was applied and the
 * row is due for its tombstone (design rule 4, windows).
 */
public final class RowState {
    public static final long NONE = Long.MIN_VALUE;

    public Connection row;
    /** snapshotId of the last SNAPSHOT record that showed this socket open; null if none. */
    public String confirmedBy;
    public long epoch = NONE;
    public long seq = NONE;
    /** Wall-clock ms when the topology applied the close; NONE while open. */
    public long closeAppliedAt = NONE;
    /** Wall-clock ms of the tombstone (design rule 4 (windows)); NONE while open. */
    public long tombstoneAt = NONE;
    /**
     * True while this row's bookkeeping is newer than its last published change and sits in the
     * {@code row-marks} store instead (in-memory mode: a duplicate changes only bookkeeping, and
     * publishes nothing). Not part of any stored format.
     */
    public boolean marked;

    public RowState(Connection row) {
        this.row = row;
    }

    public boolean isOpen() {
        return row.getState() == ConnectionState.OPEN;
    }
}
