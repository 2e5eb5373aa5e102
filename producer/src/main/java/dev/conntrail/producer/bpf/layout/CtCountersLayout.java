package dev.conntrail.producer.bpf.layout;

/** {@code struct ct_counters} (bpf/tracer.h): what a TCP socket did, read from its tcp_sock. Little-endian. */
public final class CtCountersLayout {
    public static final StructLayout STRUCT = new StructLayout("ct_counters", 40);
    public static final int BYTES_ACKED = STRUCT.field("bytes_acked", 0, 8);
    public static final int BYTES_RECEIVED = STRUCT.field("bytes_received", 8, 8);
    public static final int BYTES_RETRANS = STRUCT.field("bytes_retrans", 16, 8);
    public static final int SEGS_OUT = STRUCT.field("segs_out", 24, 4);
    public static final int SEGS_IN = STRUCT.field("segs_in", 28, 4);
    public static final int TOTAL_RETRANS = STRUCT.field("total_retrans", 32, 4);
    public static final int SRTT_US = STRUCT.field("srtt_us", 36, 4);
    public static final int SIZE = STRUCT.size();

    private CtCountersLayout() {
    }
}
