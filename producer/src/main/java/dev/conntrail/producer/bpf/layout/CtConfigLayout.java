package dev.conntrail.producer.bpf.layout;

/** {@code struct ct_config} (bpf/tracer.h), the value of the tracer's config map. Little-endian. */
public final class CtConfigLayout {
    public static final StructLayout STRUCT = new StructLayout("ct_config", 12);
    public static final int WAKEUP_BYTES = STRUCT.field("wakeup_bytes", 0, 4);
    public static final int ACCEPT_EXACT = STRUCT.field("accept_exact", 4, 4);
    public static final int CPUS = STRUCT.field("cpus", 8, 4);
    public static final int SIZE = STRUCT.size();

    private CtConfigLayout() {
    }
}
