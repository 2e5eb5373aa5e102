package dev.conntrail.topology.liveness;

/**
 * The topology's evidence that a host is silent (design rule 5, convergence): how far a task is known to have
 * read its partition of both inputs. A host whose last record was processed at wall time {@code lastSeen} was
 * silent for at least {@code at - max(lastSeen, since)}: everything appended to the partition by {@code at} has
 * been processed, none of it was the host's, and the proof is unbroken since {@code since}.
 */
public interface InputProgress {

    /**
     * @param at    wall-clock ms: every record appended to the partition (of both inputs) by then has been processed
     * @param since wall-clock ms from which the proof is unbroken (offsets read at least once per window); before it,
     *              nothing is known (the broker was unreachable, the topology was down or had just started)
     */
    record ReadThrough(long at, long since) {
    }

    /** The proof for input partition {@code partition} at wall time {@code now}; null when there is none yet. */
    ReadThrough readThrough(int partition, long now);

    /**
     * For TopologyTestDriver, which processes every record before the wall clock moves: always read through,
     * since forever.
     */
    InputProgress SYNCHRONOUS = (partition, now) -> new ReadThrough(now, Long.MIN_VALUE);
}
