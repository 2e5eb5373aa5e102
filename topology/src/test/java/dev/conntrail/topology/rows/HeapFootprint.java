package dev.conntrail.topology.rows;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.schemas.Keys;
import dev.conntrail.topology.state.RowState;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Heap per row of the in-memory table (for the benchmark; beside HeapRowTable for its empty table): the
 * same open rows held the way {@link HeapRowTable} holds them (compact rows keyed by connection id,
 * host list) and the way it held them before 2026-11-27 (the Avro {@code Connection} in a
 * {@link RowState}, keyed {@code tuple|id}, a per-host set), in one JVM, measured as used heap after
 * full collections. Strings are fresh per row, as decoded records give them.
 */
public final class HeapFootprint {
    public record Result(int rows, double compactBytesPerRow, double avroBytesPerRow) {
    }

    private HeapFootprint() {
    }

    public static Result measure(int rows, int hosts) {
        long base = usedAfterGc();
        HeapRowTable compact = HeapRowTable.empty();
        for (int i = 0; i < rows; i++) {
            RowState s = row(i, hosts);
            compact.put(id(s.row), s);
        }
        long compactBytes = usedAfterGc() - base;
        if (compact.size() != rows) throw new IllegalStateException("expected " + rows + " rows, got " + compact.size());
        compact = null;

        base = usedAfterGc();
        Map<String, RowState> avro = new HashMap<>();
        GroupIndex byHost = new GroupIndex();
        for (int i = 0; i < rows; i++) {
            RowState s = row(i, hosts);
            Connection c = s.row;
            String rk = RowKeys.row(RowKeys.tuple(c.getHost(), c.getLaddr(), c.getLport(), c.getRaddr(), c.getRport()), id(c));
            avro.put(rk, s);
            byHost.add(c.getHost(), rk);
        }
        long avroBytes = usedAfterGc() - base;
        if (avro.size() != rows) throw new IllegalStateException("expected " + rows + " rows, got " + avro.size());
        return new Result(rows, (double) compactBytes / rows, (double) avroBytes / rows);
    }

    private static String id(Connection c) {
        return Keys.connectionId(c.getHost(), c.getNetns(), c.getLaddr(), c.getLport(), c.getRaddr(), c.getRport(), c.getCookie());
    }

    /** An open row as a CONNECT makes it: a host's few local addresses and commands, remote addresses from a /16, fresh strings. */
    private static RowState row(int i, int hosts) {
        int host = i % hosts;
        Connection c = new Connection(new String("bench-host-" + host), 4026531840L, Family.IPV4, new String("10.1." + host + ".7"),
                32768 + (i % 28000), new String("10.2." + ((i / 250) % 256) + "." + (i % 250)), 443, 1_000_000L + i, Direction.OUTGOING,
                1000 + (i % 50), new String("worker-" + (i % 8)), 1000L, 7000L + (i % 20), ConnectionState.OPEN, null,
                Instant.ofEpochMilli(1_790_000_000_000L + i), null, Instant.ofEpochMilli(1_790_000_000_000L + i), Source.EBPF, null, null, null);
        RowState s = new RowState(c);
        s.epoch = 1;
        s.seq = i;
        return s;
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 4; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
