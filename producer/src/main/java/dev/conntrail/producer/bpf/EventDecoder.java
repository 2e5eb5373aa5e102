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
    static final int OFF_SK = 24;
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
            e.setPid(b.getInt(off + OFF_PID));
            e.setTid(b.getInt(off + OFF_TID));
            e.setComm(comms.comm(b, off + OFF_COMM));
            e.setCgroupId(b.getLong(off + OFF_CGROUP));
        }
        e.setUid(Integer.toUnsignedLong(b.getInt(off + OFF_UID)));
        e.setNetns(Integer.toUnsignedLong(b.getInt(off + OFF_NETNS)));
        e.setFamily(familyCode == AF_INET ? Family.IPV4 : Family.IPV6);
        e.setLaddr(laddr);
        e.setLport(b.getShort(off + OFF_LPORT) & 0xffff);
        e.setRaddr(raddr);
        e.setRport(b.getShort(off + OFF_RPORT) & 0xffff);
        e.setCookie((flags & FLAG_HAS_COOKIE) != 0 ? b.getLong(off + OFF_COOKIE) : null);
        e.setSource(Source.EBPF);
        return e;
    }
}
