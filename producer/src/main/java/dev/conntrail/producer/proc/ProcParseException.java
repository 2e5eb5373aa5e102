package dev.conntrail.producer.proc;

/** The one exception {@link ProcNetTcpParser} throws for a line it cannot read; callers count it and skip the line. */
public class ProcParseException extends Exception {
    public ProcParseException(String message) {
        super(message);
    }
}
