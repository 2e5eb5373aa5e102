package dev.conntrail.producer.bpf.layout;

/** {@code struct ct_owner} (bpf/tracer.h), the value of the tracer's listeners map. Little-endian. */
public final class CtOwnerLayout {
    public static final StructLayout STRUCT = new StructLayout("ct_owner", 32);
    public static final int PID = STRUCT.field("pid", 0, 4);
    public static final int TID = STRUCT.field("tid", 4, 4);
    public static final int CGROUP_ID = STRUCT.field("cgroup_id", 8, 8);
    public static final int COMM = STRUCT.field("comm", 16, 16);
    public static final int SIZE = STRUCT.size();

    private CtOwnerLayout() {
    }
}
