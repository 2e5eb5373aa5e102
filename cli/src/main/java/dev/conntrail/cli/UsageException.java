package dev.conntrail.cli;

/**
 * Bad usage found while running rather than while parsing (an option's file cannot be read): one line on stderr,
 * exit 2 like any other usage error.
 */
public class UsageException extends UserFacingException {
    public UsageException(String message) {
        super(message);
    }
}
