package dev.conntrail.producer.bpf.layout;

/** bpf/tracer.bpf.o: its resource and the names of the programs and maps the tracer uses. */
public final class TracerObject {
    public static final BpfObjectNames NAMES = new BpfObjectNames("/bpf/tracer.bpf.o");
    public static final String RESOURCE = NAMES.resource();
    /** tp_btf/inet_sock_set_state: gives the socket cookie. */
    public static final String PROG_STATE_BTF = NAMES.program("ct_state_btf");
    /** The classic tracepoint sock:inet_sock_set_state: the fallback, without cookies. */
    public static final String PROG_STATE_TP = NAMES.program("ct_state_tp");
    public static final String PROG_ACCEPT_EXIT = NAMES.program("ct_accept_exit");
    public static final String PROG_ACCEPT4_EXIT = NAMES.program("ct_accept4_exit");
    public static final String MAP_EVENTS = NAMES.map("events");
    public static final String MAP_LISTENERS = NAMES.map("listeners");
    public static final String MAP_PENDING_ACCEPTS = NAMES.map("pending_accepts");
    public static final String MAP_COUNTERS = NAMES.map("counters");
    public static final String MAP_CONFIG = NAMES.map("config");
    public static final String MAP_READER_SLEEPING = NAMES.map("reader_sleeping");

    private TracerObject() {
    }
}
