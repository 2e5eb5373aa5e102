package dev.conntrail.producer.bpf.layout;

/** {@code enum ct_counter} (bpf/tracer.h): the index of each kernel counter in the tracer's per-CPU counters map. */
public final class CtCounterLayout {
    public static final CEnum ENUM = new CEnum("ct_counter");
    public static final int EVENTS = ENUM.value("CTR_EVENTS", 0);
    public static final int RINGBUF_FULL = ENUM.value("CTR_RINGBUF_FULL", 1);
    public static final int OWNER_MAP_FULL = ENUM.value("CTR_OWNER_MAP_FULL", 2);
    public static final int LISTENER_MAP_FULL = ENUM.value("CTR_LISTENER_MAP_FULL", 3);
    public static final int CONNECT_FAILED = ENUM.value("CTR_CONNECT_FAILED", 4);
    public static final int CONNECT_NO_OWNER = ENUM.value("CTR_CONNECT_NO_OWNER", 5);
    public static final int ACCEPT_NO_LISTENER = ENUM.value("CTR_ACCEPT_NO_LISTENER", 6);
    public static final int PENDING_MAP_FULL = ENUM.value("CTR_PENDING_MAP_FULL", 7);
    public static final int ACCEPT_EXACT = ENUM.value("CTR_ACCEPT_EXACT", 8);
    public static final int ACCEPT_UNCLAIMED = ENUM.value("CTR_ACCEPT_UNCLAIMED", 9);
    /** How many counters there are. */
    public static final int COUNT = ENUM.value("CTR_NUM", 10);

    private CtCounterLayout() {
    }
}
