package dev.conntrail.producer.bpf.libbpf;

import dev.conntrail.cli.UserFacingException;

/**
 * BPF cannot be used on this host (or by this process); the message names the cause and what to do.
 * A caller that has a fallback (the producer's /proc polling) catches this and switches.
 */
public class BpfUnavailableException extends UserFacingException {
    /** Why BPF is not available. */
    public enum Reason {
        LIBBPF_MISSING,
        NO_BTF,
        NO_PERMISSION,
        PROGRAM_REFUSED,
        OTHER
    }

    private final Reason reason;

    public BpfUnavailableException(Reason reason, String message) {
        this(reason, message, null);
    }

    public BpfUnavailableException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
