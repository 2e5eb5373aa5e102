package dev.conntrail.topology;

import dev.conntrail.topology.metrics.TopologyMetrics;

/**
 * How many open and closed rows one task holds, moved together with the instance-wide gauges; a
 * task that closes or is re-initialised takes its share back ({@link #forget}). Each method names
 * the move a row makes.
 */
final class RowCounts {
    private final TopologyMetrics metrics;
    private long open;
    private long closed;

    RowCounts(TopologyMetrics metrics) {
        this.metrics = metrics;
    }

    /** A row found at init. */
    void restored(boolean isOpen) {
        if (isOpen) move(1, 0);
        else move(0, 1);
    }

    /** A new open row where there was none. */
    void opened() {
        move(1, 0);
    }

    /** A new open lifecycle replacing a closed row of the same key. */
    void reopened() {
        move(1, -1);
    }

    /** An open row closed. */
    void closed() {
        move(-1, 1);
    }

    /** A row that was first seen closed (a CLOSE of a socket without a row). */
    void arrivedClosed() {
        move(0, 1);
    }

    /** A closed row deleted by its tombstone. */
    void expired() {
        move(0, -1);
    }

    /** A row deleted before its time (a change the sink could not take). */
    void dropped(boolean wasOpen) {
        if (wasOpen) move(-1, 0);
        else move(0, -1);
    }

    long openRows() {
        return open;
    }

    long closedRows() {
        return closed;
    }

    /** Takes this task's rows out of the gauges; the counts start from zero again. */
    void forget() {
        move(-open, -closed);
    }

    private void move(long openBy, long closedBy) {
        open += openBy;
        closed += closedBy;
        metrics.openRows.addAndGet(openBy);
        metrics.closedRows.addAndGet(closedBy);
    }
}
