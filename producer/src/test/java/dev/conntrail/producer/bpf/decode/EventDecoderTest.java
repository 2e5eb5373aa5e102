package dev.conntrail.producer.bpf.decode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.TcpCounters;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.bpf.layout.CtCountersLayout;
import dev.conntrail.producer.bpf.layout.CtEventLayout;
import dev.conntrail.schemas.Addresses;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** struct ct_event (bpf/tracer.h) → TcpEvent, on hand-made records; no kernel needed. */
class EventDecoderTest {
    private final ClockSync clock = new ClockSync();
    private final EventDecoder decoder = new EventDecoder("h1", 7L, clock);

    private static ByteBuffer record(int type, int flags, int family, byte[] laddr, byte[] raddr, long ts) {
        ByteBuffer b = ByteBuffer.allocate(CtEventLayout.SIZE + 16).order(ByteOrder.LITTLE_ENDIAN);
        int o = 16; // records are read at an offset inside the mapping
        b.putLong(o + CtEventLayout.TS_NS, ts);
        b.putLong(o + CtEventLayout.COOKIE, 0x1234L);
        b.putLong(o + CtEventLayout.CGROUP_ID, 99L);
        b.putInt(o + CtEventLayout.NETNS, 0xF0000001); // inode above 2^31: unsigned
        b.putInt(o + CtEventLayout.PID, 321);
        b.putInt(o + CtEventLayout.TID, 322);
        b.putInt(o + CtEventLayout.UID, 1000);
        b.putShort(o + CtEventLayout.FAMILY, (short) family);
        b.putShort(o + CtEventLayout.LPORT, (short) 65000);
        b.putShort(o + CtEventLayout.RPORT, (short) 443);
        b.put(o + CtEventLayout.TYPE, (byte) type);
        b.put(o + CtEventLayout.FLAGS, (byte) flags);
        b.put(o + CtEventLayout.LADDR, laddr);
        b.put(o + CtEventLayout.RADDR, raddr);
        b.put(o + CtEventLayout.COMM, "curl\0junk".getBytes());
        return b;
    }

    @Test
    void ipv4ConnectWithOwnerAndCookie() {
        long now = clock.monotonicNanos();
        TcpEvent e = decoder.decode(record(1, 3, 2, new byte[] {10, 0, 0, 1}, new byte[] {(byte) 192, (byte) 168, 1, 2}, now),
                16, CtEventLayout.SIZE);
        assertThat(e.getType()).isEqualTo(EventType.CONNECT);
        assertThat(e.getFamily()).isEqualTo(Family.IPV4);
        assertThat(e.getLaddr()).isEqualTo("10.0.0.1");
        assertThat(e.getRaddr()).isEqualTo("192.168.1.2");
        assertThat(e.getLport()).isEqualTo(65000);
        assertThat(e.getRport()).isEqualTo(443);
        assertThat(e.getPid()).isEqualTo(321);
        assertThat(e.getTid()).isEqualTo(322);
        assertThat(e.getComm()).isEqualTo("curl");
        assertThat(e.getCgroupId()).isEqualTo(99L);
        assertThat(e.getUid()).isEqualTo(1000L);
        assertThat(e.getNetns()).isEqualTo(0xF0000001L);
        assertThat(e.getCookie()).isEqualTo(0x1234L);
        assertThat(e.getHost()).isEqualTo("h1");
        assertThat(e.getAgentEpoch()).isEqualTo(7L);
        assertThat(Duration.between(e.getTimestamp(), Instant.now()).abs()).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void closeWithCountersReadsThemUnsigned() {
        ByteBuffer b = record(3, 4, 2, new byte[] {127, 0, 0, 1}, new byte[] {127, 0, 0, 1}, clock.monotonicNanos());
        int c = 16 + CtEventLayout.COUNTERS;
        b.putLong(c + CtCountersLayout.BYTES_ACKED, 1_000_001L);
        b.putLong(c + CtCountersLayout.BYTES_RECEIVED, 5_000_000_000L);
        b.putLong(c + CtCountersLayout.BYTES_RETRANS, 1448L);
        b.putInt(c + CtCountersLayout.SEGS_OUT, 0xF0000000); // above 2^31: unsigned
        b.putInt(c + CtCountersLayout.SEGS_IN, 30);
        b.putInt(c + CtCountersLayout.TOTAL_RETRANS, 1);
        b.putInt(c + CtCountersLayout.SRTT_US, 57);
        TcpCounters k = decoder.decode(b, 16, CtEventLayout.SIZE).getCounters();
        assertThat(k).isEqualTo(new TcpCounters(1_000_001L, 5_000_000_000L, 1448L, 0xF0000000L, 30L, 1L, 57L));
    }

    @Test
    void closeWithoutTheFlagHasNoCounters() {
        ByteBuffer b = record(3, 0, 2, new byte[] {127, 0, 0, 1}, new byte[] {127, 0, 0, 1}, clock.monotonicNanos());
        b.putLong(16 + CtEventLayout.COUNTERS + CtCountersLayout.BYTES_ACKED, 5L); // garbage: the flag is not set
        assertThat(decoder.decode(b, 16, CtEventLayout.SIZE).getCounters()).isNull();
    }

    @Test
    void v4MappedCloseWithoutOwnerOrCookie() {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 127;
        mapped[15] = 1;
        TcpEvent e = decoder.decode(record(3, 0, 10, mapped, mapped, clock.monotonicNanos()), 16, CtEventLayout.SIZE);
        assertThat(e.getType()).isEqualTo(EventType.CLOSE);
        assertThat(e.getFamily()).isEqualTo(Family.IPV6);
        assertThat(e.getLaddr()).isEqualTo("::ffff:127.0.0.1");
        assertThat(e.getPid()).isNull();
        assertThat(e.getTid()).isNull();
        assertThat(e.getComm()).isNull();
        assertThat(e.getCgroupId()).isNull();
        assertThat(e.getCookie()).isNull();
        assertThat(e.getUid()).isEqualTo(1000L);
    }

    @Test
    void malformedRecordsAreRefused() {
        assertThat(decoder.decode(record(9, 0, 2, new byte[16], new byte[16], 0), 16, CtEventLayout.SIZE)).isNull();
        assertThat(decoder.decode(record(1, 0, 7, new byte[16], new byte[16], 0), 16, CtEventLayout.SIZE)).isNull();
        assertThat(decoder.decode(record(1, 0, 2, new byte[16], new byte[16], 0), 16, 50)).isNull();
    }

    /** The decoder caches address and comm text: many distinct values (slot collisions included) stay right. */
    @Test
    void cachedTextStaysRightAcrossManyDistinctValues() {
        java.util.Random random = new java.util.Random(42);
        String[] comms = {"curl", "nginx", "java", "a-fifteen-chars", "x"};
        for (int i = 0; i < 20_000; i++) {
            boolean v6 = i % 2 == 1;
            byte[] l = new byte[v6 ? 16 : 4];
            byte[] r = new byte[v6 ? 16 : 4];
            random.nextBytes(l);
            random.nextBytes(r);
            if (v6 && i % 3 == 0) {
                java.util.Arrays.fill(l, 0, 10, (byte) 0); // v4-mapped
                l[10] = (byte) 0xff;
                l[11] = (byte) 0xff;
            }
            if (i % 5 == 0) {
                l = (v6 ? new byte[16] : new byte[4]); // a repeated value (cache hit)
            }
            ByteBuffer rec = record(1, 1, v6 ? 10 : 2, l, r, clock.monotonicNanos());
            String comm = comms[random.nextInt(comms.length)];
            byte[] commBytes = new byte[16];
            System.arraycopy(comm.getBytes(), 0, commBytes, 0, comm.length());
            rec.put(16 + CtEventLayout.COMM, commBytes);
            TcpEvent e = decoder.decode(rec, 16, CtEventLayout.SIZE);
            assertThat(e.getLaddr()).isEqualTo(Addresses.format(l));
            assertThat(e.getRaddr()).isEqualTo(Addresses.format(r));
            assertThat(e.getComm()).isEqualTo(comm);
        }
    }

    @Test
    void kernelTimeBecomesWallClockMicros() {
        long mono = clock.monotonicNanos();
        long wallMicros = System.currentTimeMillis() * 1000;
        assertThat(Math.abs(clock.toEpochMicros(mono) - wallMicros)).isLessThan(50_000);
        assertThat(clock.toEpochMicros(mono + 1_000_000_000L) - clock.toEpochMicros(mono)).isEqualTo(1_000_000);
    }
}
