package dev.conntrail.cli;

/**
 * A failure whose message already tells the user what went wrong and what to do; printed as one
 * line without a stack trace (unless {@code --verbose}).
 */
public class UserFacingException extends RuntimeException {
    public UserFacingException(String message) {
        super(message);
    }

    public UserFacingException(String message, Throwable cause) {
        super(message, cause);
    }
}
