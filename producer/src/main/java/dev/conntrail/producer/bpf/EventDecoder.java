package dev.conntrail.producer.bpf;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;

/**
 * Decodes {@code struct ct_event} (bpf/tracer.h) into a {@link TcpEvent}; seq is left 0 for the publisher.
 * Not thread-safe (its text caches): one decoder per reader thread.
 */
public final class EventDecoder {
    public static final int EVENT_SIZE = 104;
    static final int OFF_TS = 0;
    static final int OFF_COOKIE = 8;
    static final int OFF_CGROUP = 16;
    static final int OFF_EMIT = 24;
    static final int OFF_NETNS = 32;
    static final int OFF_PID = 36;
    static final int OFF_TID = 40;
    static final int OFF_UID = 44;
    static final int OFF_FAMILY = 48;
    static final int OFF_LPORT = 50;
    static final int OFF_RPORT = 52;
    static final int OFF_TYPE = 54;
    static final int OFF_FLAGS = 55;
    static final int OFF_LADDR = 56;
    static final int OFF_RADDR = 72;
    static final int OFF_COMM = 88;
    static final int TYPE_CONNECT = 1;
    static final int TYPE_ACCEPT = 2;
    static final int TYPE_CLOSE = 3;
    static final int FLAG_HAS_OWNER = 1;
    static final int FLAG_HAS_COOKIE = 2;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;

    private final String host;
    private final long agentEpoch;
    private final ClockSync clock;
    /** Text forms repeat (the same few addresses and process names): cached, one decoder per reader thread. */
    private final AddressTextCache addresses = new AddressTextCache();
    private final CommCache comms = new CommCache();
    private final BoxCache boxes = new BoxCache();

    public EventDecoder(String host, long agentEpoch, ClockSync clock) {
        this.host = host;
        this.agentEpoch = agentEpoch;
        this.clock = clock;
    }

    /** The event at {@code off} of {@code buf} (a little-endian view of the record), or null if malformed. */
    public TcpEvent decode(ByteBuffer buf, int off, int len) {
        if (len < EVENT_SIZE) {
            return null;
        }
        ByteBuffer b = buf.order() == ByteOrder.LITTLE_ENDIAN ? buf : buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        EventType type = switch (b.get(off + OFF_TYPE)) {
            case TYPE_CONNECT -> EventType.CONNECT;
            case TYPE_ACCEPT -> EventType.ACCEPT;
            case TYPE_CLOSE -> EventType.CLOSE;
            default -> null;
        };
        int familyCode = b.getShort(off + OFF_FAMILY) & 0xffff;
        if (type == null || (familyCode != AF_INET && familyCode != AF_INET6)) {
            return null;
        }
        int flags = b.get(off + OFF_FLAGS) & 0xff;
        String laddr = familyCode == AF_INET ? addresses.ipv4(b.getInt(off + OFF_LADDR))
                : addresses.ipv6(b.getLong(off + OFF_LADDR), b.getLong(off + OFF_LADDR + 8));
        String raddr = familyCode == AF_INET ? addresses.ipv4(b.getInt(off + OFF_RADDR))
                : addresses.ipv6(b.getLong(off + OFF_RADDR), b.getLong(off + OFF_RADDR + 8));

        TcpEvent e = new TcpEvent();
        e.setHost(host);
        e.setAgentEpoch(agentEpoch);
        e.setSeq(0L);
        e.setType(type);
        long micros = clock.toEpochMicros(b.getLong(off + OFF_TS));
        e.setTimestamp(Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L));
        if ((flags & FLAG_HAS_OWNER) != 0) {
            e.setPid(boxes.boxInt(b.getInt(off + OFF_PID)));
            e.setTid(boxes.boxInt(b.getInt(off + OFF_TID)));
            e.setComm(comms.comm(b, off + OFF_COMM));
            e.setCgroupId(boxes.boxLong(b.getLong(off + OFF_CGROUP)));
        }
        e.setUid(boxes.boxLong(Integer.toUnsignedLong(b.getInt(off + OFF_UID))));
        e.setNetns(boxes.boxLong(Integer.toUnsignedLong(b.getInt(off + OFF_NETNS))));
        e.setFamily(familyCode == AF_INET ? Family.IPV4 : Family.IPV6);
        e.setLaddr(laddr);
        e.setLport(boxes.boxInt(b.getShort(off + OFF_LPORT) & 0xffff));
        e.setRaddr(raddr);
        e.setRport(boxes.boxInt(b.getShort(off + OFF_RPORT) & 0xffff));
        e.setCookie((flags & FLAG_HAS_COOKIE) != 0 ? b.getLong(off + OFF_COOKIE) : null);
        e.setSource(Source.EBPF);
        return e;
    }

    /**
     * Records of every kind the kernel sends (CONNECT / ACCEPT / CLOSE, IPv4 and IPv6, with and without
     * owner), for warming the JIT before the first real burst ({@link Tracer}).
     */
    static byte[][] sampleRecords() {
        byte[][] out = new byte[6][];
        for (int i = 0; i < out.length; i++) {
            ByteBuffer b = ByteBuffer.allocate(EVENT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            boolean v6 = i % 2 == 1;
            b.putLong(OFF_TS, 1_000_000_000L + i);
            b.putLong(OFF_COOKIE, 4096 + i);
            b.putLong(OFF_CGROUP, 1);
            b.putInt(OFF_NETNS, 0xF0000000);
            b.putInt(OFF_PID, 1000 + i);
            b.putInt(OFF_TID, 1000 + i);
            b.putShort(OFF_FAMILY, (short) (v6 ? AF_INET6 : AF_INET));
            b.putShort(OFF_LPORT, (short) (40000 + i));
            b.putShort(OFF_RPORT, (short) 443);
            b.put(OFF_TYPE, (byte) (i / 2 + 1));
            b.put(OFF_FLAGS, (byte) (i / 2 == 2 ? FLAG_HAS_COOKIE : FLAG_HAS_OWNER | FLAG_HAS_COOKIE));
            b.put(OFF_LADDR, (byte) 127).put(OFF_LADDR + 3, (byte) 1);
            b.put(OFF_RADDR, (byte) 10).put(OFF_RADDR + 3, (byte) (i + 1));
            b.put(OFF_COMM, (byte) 'w');
            out[i] = b.array();
        }
        return out;
    }
}
