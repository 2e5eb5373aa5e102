package dev.conntrail.topology.liveness;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The proof that a partition was read through (design rule 5, convergence), from offsets alone. */
class CatchUpLedgerTest {
    static final TopicPartition E0 = new TopicPartition("tcp-events", 0);
    static final TopicPartition N0 = new TopicPartition("conntrack-nat", 0);
    static final TopicPartition E1 = new TopicPartition("tcp-events", 1);
    static final TopicPartition N1 = new TopicPartition("conntrack-nat", 1);
    final CatchUpLedger ledger = new CatchUpLedger(2_000, 100);

    void observe(long at, long e0, long c0, long e1, long c1) {
        ledger.observe(at, Map.of(E0, e0, N0, 0L, E1, e1, N1, 0L), Map.of(E0, c0, E1, c1));
    }

    @Test
    void aPartitionIsReadThroughWhenItsCommittedOffsetsReachTheEndOffsets() {
        observe(1000, 10, 10, 5, 3);
        assertThat(ledger.readThrough(0, 1000)).isEqualTo(new InputProgress.ReadThrough(1000, 1000));
        assertThat(ledger.readThrough(1, 1000)).as("partition 1 is behind").isNull();
    }

    @Test
    void aSteadyLagStillProvesUpToAnEarlierCheck() {
        // every check the end is 5 ahead of the committed offset; each check passes the end read two checks before
        for (int i = 0; i < 10; i++) observe(1000 + 500L * i, 10 + 3L * i, 10 + 3L * i - 5, 0, 0);
        // at the last check (5500) committed = 32: the end read at 4500 (31) is passed, the one at 5000 (34) not
        assertThat(ledger.readThrough(0, 5500)).isEqualTo(new InputProgress.ReadThrough(4500, 1000));
    }

    @Test
    void aGapInTheChecksBreaksTheProofAndSilenceIsCountedFromWhereItResumes() {
        observe(1000, 10, 10, 0, 0);
        observe(1500, 10, 10, 0, 0);
        // checks failed from 1500 to 9000 (broker unreachable): more than the window apart
        observe(9000, 10, 10, 0, 0);
        assertThat(ledger.readThrough(0, 9000)).isEqualTo(new InputProgress.ReadThrough(9000, 9000));
        assertThat(ledger.gaps()).isEqualTo(1);
        observe(10_000, 12, 12, 0, 0);
        assertThat(ledger.readThrough(0, 10_000)).isEqualTo(new InputProgress.ReadThrough(10_000, 9000));
    }

    @Test
    void aMissingCommittedOffsetCountsAsZero() {
        ledger.observe(1000, Map.of(E0, 0L, N0, 0L), Map.of());
        assertThat(ledger.readThrough(0, 1000)).isNotNull();
        ledger.observe(1500, Map.of(E0, 4L, N0, 0L), Map.of());
        assertThat(ledger.readThrough(0, 1500).at()).as("still the proof of 1000").isEqualTo(1000);
    }

    @Test
    void aClockSteppingBackKeepsTheOlderProof() {
        observe(5000, 1, 1, 0, 0);
        observe(4000, 2, 2, 0, 0);
        assertThat(ledger.readThrough(0, 4000).at()).isEqualTo(5000);
    }
}
