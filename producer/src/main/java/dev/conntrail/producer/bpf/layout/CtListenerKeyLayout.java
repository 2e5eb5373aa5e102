package dev.conntrail.producer.bpf.layout;

/** {@code struct ct_listener_key} (bpf/tracer.h), the key of the tracer's listeners map. Little-endian. */
public final class CtListenerKeyLayout {
    public static final StructLayout STRUCT = new StructLayout("ct_listener_key", 24);
    public static final int NETNS = STRUCT.field("netns", 0, 4);
    public static final int FAMILY = STRUCT.field("family", 4, 2);
    public static final int PORT = STRUCT.field("port", 6, 2);
    public static final int ADDR = STRUCT.field("addr", 8, 16);
    public static final int SIZE = STRUCT.size();

    private CtListenerKeyLayout() {
    }
}
