package dev.conntrail.producer.bpf.layout;

/** bpf/sockiter.bpf.o: its resource and the names of its iterator programs. */
public final class SockiterObject {
    public static final BpfObjectNames NAMES = new BpfObjectNames("/bpf/sockiter.bpf.o");
    public static final String RESOURCE = NAMES.resource();
    /** iter/task_file, the cookie from bpf_get_socket_cookie(). */
    public static final String PROG_SOCKETS_HELPER_COOKIE = NAMES.program("sockiter");
    /** iter/task_file, the cookie read from sk_cookie (for kernels that refuse bpf_get_socket_cookie() here). */
    public static final String PROG_SOCKETS_STORED_COOKIE = NAMES.program("sockiter_stored");
    /** iter/task: every process's network namespace. */
    public static final String PROG_NAMESPACES = NAMES.program("nsiter");

    private SockiterObject() {
    }
}
