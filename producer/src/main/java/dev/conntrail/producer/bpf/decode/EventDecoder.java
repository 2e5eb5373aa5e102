package dev.conntrail.producer.bpf.decode;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.bpf.layout.CtCountersLayout;
import dev.conntrail.producer.bpf.layout.CtEventLayout;
import dev.conntrail.producer.sys.LibC;
import dev.conntrail.schemas.AddressTextCache;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;

/**
 * Decodes {@code struct ct_event} (bpf/tracer.h) into a {@link TcpEvent}; seq is left 0 for the publisher.
 * Not thread-safe (its text caches): one decoder per reader thread.
 */
public final class EventDecoder {
    private final String host;
    private final long agentEpoch;
    private final ClockSync clock;
    /** Text forms repeat (the same few addresses and process names): cached, one decoder per reader thread. */
    private final AddressTextCache addresses = new AddressTextCache(1024);
    private final CommCache comms = new CommCache();
    private final BoxCache boxes = new BoxCache();

    public EventDecoder(String host, long agentEpoch, ClockSync clock) {
        this.host = host;
        this.agentEpoch = agentEpoch;
        this.clock = clock;
    }

    /** The event at {@code off} of {@code buf} (a little-endian view of the record), or null if malformed. */
    public TcpEvent decode(ByteBuffer buf, int off, int len) {
        if (len < CtEventLayout.SIZE) {
            return null;
        }
        ByteBuffer b = buf.order() == ByteOrder.LITTLE_ENDIAN ? buf : buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        EventType type = type(b.get(off + CtEventLayout.TYPE));
        int familyCode = b.getShort(off + CtEventLayout.FAMILY) & 0xffff;
        if (type == null || (familyCode != LibC.AF_INET && familyCode != LibC.AF_INET6)) {
            return null;
        }
        int flags = b.get(off + CtEventLayout.FLAGS) & 0xff;
        String laddr = familyCode == LibC.AF_INET ? addresses.ipv4(b.getInt(off + CtEventLayout.LADDR))
                : addresses.ipv6(b.getLong(off + CtEventLayout.LADDR), b.getLong(off + CtEventLayout.LADDR + 8));
        String raddr = familyCode == LibC.AF_INET ? addresses.ipv4(b.getInt(off + CtEventLayout.RADDR))
                : addresses.ipv6(b.getLong(off + CtEventLayout.RADDR), b.getLong(off + CtEventLayout.RADDR + 8));

        TcpEvent e = new TcpEvent();
        e.setHost(host);
        e.setAgentEpoch(agentEpoch);
        e.setSeq(0L);
        e.setType(type);
        long micros = clock.toEpochMicros(b.getLong(off + CtEventLayout.TS_NS));
        e.setTimestamp(Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L));
        if ((flags & CtEventLayout.HAS_OWNER) != 0) {
            e.setPid(boxes.boxInt(b.getInt(off + CtEventLayout.PID)));
            e.setTid(boxes.boxInt(b.getInt(off + CtEventLayout.TID)));
            e.setComm(comms.comm(b, off + CtEventLayout.COMM));
            e.setCgroupId(boxes.boxLong(b.getLong(off + CtEventLayout.CGROUP_ID)));
        }
        e.setUid(boxes.boxLong(Integer.toUnsignedLong(b.getInt(off + CtEventLayout.UID))));
        e.setNetns(boxes.boxLong(Integer.toUnsignedLong(b.getInt(off + CtEventLayout.NETNS))));
        e.setFamily(familyCode == LibC.AF_INET ? Family.IPV4 : Family.IPV6);
        e.setLaddr(laddr);
        e.setLport(boxes.boxInt(b.getShort(off + CtEventLayout.LPORT) & 0xffff));
        e.setRaddr(raddr);
        e.setRport(boxes.boxInt(b.getShort(off + CtEventLayout.RPORT) & 0xffff));
        e.setCookie((flags & CtEventLayout.HAS_COOKIE) != 0 ? b.getLong(off + CtEventLayout.COOKIE) : null);
        e.setSource(Source.EBPF);
        if ((flags & CtEventLayout.HAS_COUNTERS) != 0) {
            e.setCounters(CountersDecoder.decode(b, off + CtEventLayout.COUNTERS));
        }
        return e;
    }

    private static EventType type(int code) {
        if (code == CtEventLayout.TYPE_CONNECT) {
            return EventType.CONNECT;
        } else if (code == CtEventLayout.TYPE_ACCEPT) {
            return EventType.ACCEPT;
        } else if (code == CtEventLayout.TYPE_CLOSE) {
            return EventType.CLOSE;
        }
        return null;
    }

    /**
     * Records of every kind the kernel sends (CONNECT / ACCEPT / CLOSE, IPv4 and IPv6, with and without
     * owner), for warming the JIT before the first real burst ({@link Tracer}).
     */
    public static byte[][] sampleRecords() {
        byte[][] out = new byte[6][];
        for (int i = 0; i < out.length; i++) {
            ByteBuffer b = ByteBuffer.allocate(CtEventLayout.SIZE).order(ByteOrder.LITTLE_ENDIAN);
            boolean v6 = i % 2 == 1;
            b.putLong(CtEventLayout.TS_NS, 1_000_000_000L + i);
            b.putLong(CtEventLayout.COOKIE, 4096 + i);
            b.putLong(CtEventLayout.CGROUP_ID, 1);
            b.putInt(CtEventLayout.NETNS, 0xF0000000);
            b.putInt(CtEventLayout.PID, 1000 + i);
            b.putInt(CtEventLayout.TID, 1000 + i);
            b.putShort(CtEventLayout.FAMILY, (short) (v6 ? LibC.AF_INET6 : LibC.AF_INET));
            b.putShort(CtEventLayout.LPORT, (short) (40000 + i));
            b.putShort(CtEventLayout.RPORT, (short) 443);
            b.put(CtEventLayout.TYPE, (byte) (i / 2 + 1));
            b.put(CtEventLayout.FLAGS, (byte) (i / 2 == 2 ? CtEventLayout.HAS_COOKIE : CtEventLayout.HAS_OWNER | CtEventLayout.HAS_COOKIE));
            b.put(CtEventLayout.LADDR, (byte) 127).put(CtEventLayout.LADDR + 3, (byte) 1);
            b.put(CtEventLayout.RADDR, (byte) 10).put(CtEventLayout.RADDR + 3, (byte) (i + 1));
            b.put(CtEventLayout.COMM, (byte) 'w');
            if (i / 2 == 2) {
                b.put(CtEventLayout.FLAGS, (byte) (CtEventLayout.HAS_COOKIE | CtEventLayout.HAS_COUNTERS));
                b.putLong(CtEventLayout.COUNTERS + CtCountersLayout.BYTES_ACKED, 1_000_001L);
                b.putInt(CtEventLayout.COUNTERS + CtCountersLayout.SEGS_OUT, 40);
                b.putInt(CtEventLayout.COUNTERS + CtCountersLayout.SRTT_US, 50);
            }
            out[i] = b.array();
        }
        return out;
    }
}
