package dev.conntrail.cli;

/** A command that exists in the interface but not yet in the code: one line, exit 1. */
public final class NotImplementedException extends RuntimeException {
    public NotImplementedException(String command) {
        super("'" + command + "' is not implemented yet");
    }
}
