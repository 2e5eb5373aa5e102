package dev.conntrail.producer.bpf.layout;

/** {@code struct ct_event} (bpf/tracer.h), the tracer's record, with its type and flag values. Little-endian. */
public final class CtEventLayout {
    public static final StructLayout STRUCT = new StructLayout("ct_event", 144);
    public static final int TS_NS = STRUCT.field("ts_ns", 0, 8);
    public static final int COOKIE = STRUCT.field("cookie", 8, 8);
    public static final int CGROUP_ID = STRUCT.field("cgroup_id", 16, 8);
    public static final int EMIT_NS = STRUCT.field("emit_ns", 24, 8);
    public static final int NETNS = STRUCT.field("netns", 32, 4);
    public static final int PID = STRUCT.field("pid", 36, 4);
    public static final int TID = STRUCT.field("tid", 40, 4);
    public static final int UID = STRUCT.field("uid", 44, 4);
    public static final int FAMILY = STRUCT.field("family", 48, 2);
    public static final int LPORT = STRUCT.field("lport", 50, 2);
    public static final int RPORT = STRUCT.field("rport", 52, 2);
    public static final int TYPE = STRUCT.field("type", 54, 1);
    public static final int FLAGS = STRUCT.field("flags", 55, 1);
    public static final int LADDR = STRUCT.field("laddr", 56, 16);
    public static final int RADDR = STRUCT.field("raddr", 72, 16);
    public static final int COMM = STRUCT.field("comm", 88, 16);
    /** A {@link CtCountersLayout}; set on CLOSE with {@link #HAS_COUNTERS}. */
    public static final int COUNTERS = STRUCT.field("counters", 104, CtCountersLayout.SIZE);
    public static final int SIZE = STRUCT.size();

    public static final CEnum TYPES = new CEnum("ct_event_type");
    public static final int TYPE_CONNECT = TYPES.value("CT_CONNECT", 1);
    public static final int TYPE_ACCEPT = TYPES.value("CT_ACCEPT", 2);
    public static final int TYPE_CLOSE = TYPES.value("CT_CLOSE", 3);

    public static final CEnum FLAG_BITS = new CEnum("ct_event_flag");
    public static final int HAS_OWNER = FLAG_BITS.value("CT_HAS_OWNER", 1);
    public static final int HAS_COOKIE = FLAG_BITS.value("CT_HAS_COOKIE", 2);
    public static final int HAS_COUNTERS = FLAG_BITS.value("CT_HAS_COUNTERS", 4);

    private CtEventLayout() {
    }
}
