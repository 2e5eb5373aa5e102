package dev.conntrail.producer.bpf.libbpf;

import dev.conntrail.producer.sys.Errno;

/** A libbpf or bpf() call failed after BPF was found usable; carries the errno. */
public class BpfException extends RuntimeException {
    private final int errno;

    public BpfException(String what, int negativeErrno) {
        super(what + " failed: " + Errno.describe(Math.abs(negativeErrno)));
        this.errno = Math.abs(negativeErrno);
    }

    public int errno() {
        return errno;
    }
}
