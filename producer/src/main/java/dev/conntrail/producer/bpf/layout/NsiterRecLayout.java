package dev.conntrail.producer.bpf.layout;

/** {@code struct nsiter_rec} (bpf/sockiter.h): one process and its network namespace, as the task iterator writes it. Little-endian. */
public final class NsiterRecLayout {
    public static final StructLayout STRUCT = new StructLayout("nsiter_rec", 8);
    public static final int TGID = STRUCT.field("tgid", 0, 4);
    public static final int NETNS = STRUCT.field("netns", 4, 4);
    public static final int SIZE = STRUCT.size();

    private NsiterRecLayout() {
    }
}
