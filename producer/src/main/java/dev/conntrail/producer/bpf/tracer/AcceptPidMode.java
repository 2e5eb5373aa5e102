package dev.conntrail.producer.bpf.tracer;

/** How the tracer names the process of an ACCEPT (see docs/tracer.md). */
public enum AcceptPidMode {
    /** The process that called listen() on the listening socket (listener map): free, wrong for pre-fork pools. */
    DEFAULT,
    /** The process whose accept()/accept4() returned the socket: exact, taxes every syscall on the host. */
    EXACT
}
