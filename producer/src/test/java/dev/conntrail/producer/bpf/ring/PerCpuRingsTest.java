package dev.conntrail.producer.bpf.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The merge of per-CPU rings ({@link PerCpuRings}) over in-heap rings written the way the kernel writes
 * them ({@link HeapRing}); no kernel needed. The kernel side's own behaviour is in TracerKernelTest.
 */
class PerCpuRingsTest {
    private static final int RECORD = 32; // id at 0, emit_ns at KEY_OFFSET

    /** One record as the test knows it: its ring, when it was reserved (= its emit_ns) and committed. */
    private static final class Rec {
        final int id;
        final long reservedAt;
        long committedAt = Long.MAX_VALUE;
        int handle;

        Rec(int id, long reservedAt) {
            this.id = id;
            this.reservedAt = reservedAt;
        }
    }

    private static byte[] record(int id, long emitNs) {
        ByteBuffer b = ByteBuffer.allocate(RECORD).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, id);
        b.putLong(PerCpuRings.KEY_OFFSET, emitNs);
        return b.array();
    }

    private static RecordSource.RecordHandler into(List<Integer> out) {
        return (data, off, len) -> out.add(data.getInt(off));
    }

    private static PerCpuRings over(HeapRing[] rings, long settle) {
        return over(rings, settle, 1 << 20);
    }

    private static PerCpuRings over(HeapRing[] rings, long settle, int holdBytes) {
        RingBufferReader[] readers = new RingBufferReader[rings.length];
        for (int i = 0; i < rings.length; i++) {
            readers[i] = rings[i].reader();
        }
        return new PerCpuRings(readers, null, settle, holdBytes);
    }

    /**
     * Random runs of CPUs reserving, committing (one record in flight per ring, as in the kernel: no program
     * writes a ring while another run on that CPU has a record reserved in it) and a reader draining at
     * random times. Every record comes out exactly once, each drain in emit_ns order and only records older
     * than its cut, and a record reserved after another was committed — the only order the kernel can
     * promise for one socket's events — never comes out before it.
     */
    @Property(tries = 300)
    void everyRecordOnceAndCausalOrderKept(@ForAll("steps") List<Integer> steps, @ForAll @IntRange(min = 1, max = 4) int cpus,
            @ForAll @IntRange(min = 0, max = 40) int settle, @ForAll boolean smallHold) {
        HeapRing[] rings = new HeapRing[cpus];
        for (int i = 0; i < cpus; i++) {
            rings[i] = new HeapRing(4096);
        }
        long now = 0;
        // a small hold (10 records) makes young records stay in their rings when it is full
        PerCpuRings merged = over(rings, settle, smallHold ? 512 : 1 << 20);
        Rec[] inFlight = new Rec[cpus];
        List<Rec> all = new ArrayList<>();
        List<Integer> out = new ArrayList<>();
        long[] cutOfDrain = new long[1];
        RecordSource.RecordHandler collect = (data, off, len) -> {
            assertThat(len).isEqualTo(RECORD);
            long key = data.getLong(off + PerCpuRings.KEY_OFFSET);
            assertThat(key).isLessThan(cutOfDrain[0]);
            out.add(data.getInt(off));
        };
        for (int step : steps) {
            now++;
            int cpu = step % cpus;
            int op = step / cpus % 3;
            if (op == 2) {
                cutOfDrain[0] = now - settle;
                int before = out.size();
                merged.drainAt(now, collect);
                assertKeysAscending(all, out.subList(before, out.size()));
            } else if (inFlight[cpu] == null) {
                Rec r = new Rec(all.size(), now);
                r.handle = rings[cpu].append(record(r.id, r.reservedAt), true);
                if (r.handle >= 0) {
                    all.add(r);
                    inFlight[cpu] = r;
                }
            } else {
                rings[cpu].commit(inFlight[cpu].handle);
                inFlight[cpu].committedAt = now;
                inFlight[cpu] = null;
            }
        }
        for (int cpu = 0; cpu < cpus; cpu++) {
            if (inFlight[cpu] != null) {
                rings[cpu].commit(inFlight[cpu].handle);
                inFlight[cpu].committedAt = ++now;
            }
        }
        now += settle + 1;
        cutOfDrain[0] = now - settle;
        merged.drainAt(now, collect);

        assertThat(out).hasSize(all.size()).doesNotHaveDuplicates();
        Map<Integer, Integer> position = new HashMap<>();
        for (int i = 0; i < out.size(); i++) {
            position.put(out.get(i), i);
        }
        for (Rec a : all) {
            for (Rec b : all) {
                if (b.reservedAt > a.committedAt) {
                    assertThat(position.get(a.id)).as("record %d (committed at %d) before %d (reserved at %d)", a.id,
                            a.committedAt, b.id, b.reservedAt).isLessThan(position.get(b.id));
                }
            }
        }
        assertThat(merged.pending()).isZero();
    }

    private static void assertKeysAscending(List<Rec> all, List<Integer> ids) {
        for (int i = 1; i < ids.size(); i++) {
            assertThat(all.get(ids.get(i)).reservedAt).isGreaterThan(all.get(ids.get(i - 1)).reservedAt);
        }
    }

    @Provide
    Arbitrary<List<Integer>> steps() {
        return Arbitraries.integers().between(0, 11).list().ofMaxSize(400);
    }

    @Test
    void recordsYoungerThanTheCutLeaveTheKernelsRingsAndFollowInOrderLater() {
        HeapRing[] rings = {new HeapRing(4096), new HeapRing(4096)};
        PerCpuRings merged = over(rings, 5);
        rings[1].append(record(1, 10), false);
        rings[0].append(record(2, 12), false);
        rings[0].append(record(3, 20), false);
        rings[1].append(record(4, 21), false);
        List<Integer> out = new ArrayList<>();
        RecordSource.RecordHandler collect = into(out);
        assertThat(merged.drainAt(20, collect)).as("cut 15: records 1 and 2").isEqualTo(2);
        assertThat(out).containsExactly(1, 2);
        assertThat(merged.pending()).as("the rings are empty, so poll() can sleep").isZero();
        rings[1].append(record(5, 22), false);
        rings[0].append(record(6, 30), false);
        // cut 23: 3 and 4 from the hold, 5 from a ring; 6 into the other hold
        assertThat(merged.drainAt(28, collect)).isEqualTo(3);
        assertThat(out).containsExactly(1, 2, 3, 4, 5);
        assertThat(merged.drainAt(100, collect)).isEqualTo(1);
        assertThat(out).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(merged.pending()).isZero();
    }

    @Test
    void whenTheHoldIsFullYoungRecordsStayInTheirRing() {
        HeapRing[] rings = {new HeapRing(4096), new HeapRing(4096)};
        PerCpuRings merged = over(rings, 0, 128); // a hold of 3 records
        for (int i = 1; i <= 10; i++) {
            rings[i % 2].append(record(i, 100 + i), false);
        }
        List<Integer> out = new ArrayList<>();
        assertThat(merged.drainAt(50, into(out))).isZero();
        assertThat(merged.pending()).as("7 records did not fit the hold").isEqualTo(7 * 40);
        assertThat(merged.drainAt(200, into(out))).isEqualTo(10);
        assertThat(out).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    }

    @Test
    void drainAllAtCloseTakesTheNewestToo() {
        HeapRing[] rings = {new HeapRing(4096), new HeapRing(4096)};
        PerCpuRings merged = over(rings, 5);
        rings[0].append(record(1, 10), false);
        rings[1].append(record(2, 19), false);
        rings[0].append(record(3, 20), false);
        List<Integer> out = new ArrayList<>();
        // a drain at 20 (cut 15) would hold 2 and 3
        assertThat(merged.drainAll(into(out))).isEqualTo(3);
        assertThat(out).containsExactly(1, 2, 3);
        assertThat(merged.pending()).isZero();
    }

    @Test
    void aReservedRecordHoldsBackItsRingOnly() {
        HeapRing[] rings = {new HeapRing(4096), new HeapRing(4096)};
        PerCpuRings merged = over(rings, 0);
        int busy = rings[0].append(record(1, 5), true);
        rings[1].append(record(2, 6), false);
        List<Integer> out = new ArrayList<>();
        merged.drainAt(50, into(out));
        assertThat(out).containsExactly(2);
        rings[0].commit(busy);
        merged.drainAt(50, into(out));
        assertThat(out).containsExactly(2, 1);
    }

    @Test
    void theConsumedSpaceIsGivenBackSoAFullRingTakesRecordsAgain() {
        HeapRing ring = new HeapRing(4096);
        PerCpuRings merged = over(new HeapRing[] {ring}, 0);
        int written = 0;
        while (ring.append(record(written, written), false) >= 0) {
            written++;
        }
        assertThat(written).isEqualTo(4096 / (RECORD + RingBufferReader.HEADER));
        assertThat(merged.drainAt(Long.MAX_VALUE, (data, off, len) -> { })).isEqualTo(written);
        assertThat(ring.append(record(written, written), false)).isNotNegative();
    }
}
