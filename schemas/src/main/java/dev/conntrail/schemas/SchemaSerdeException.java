package dev.conntrail.schemas;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Base of every error the conntrail serde and registry client throw. The message says what went
 * wrong and what to do. {@link #isTransient()} separates errors worth retrying (the registry is
 * unreachable or overloaded) from permanent ones (bad bytes, unknown id, incompatible schema): the
 * topology retries the former and dead-letters the latter.
 */
public abstract class SchemaSerdeException extends SerializationException {
    private static final long serialVersionUID = 1L;

    protected SchemaSerdeException(String message, Throwable cause) {
        super(message, cause);
    }

    /** True when the same call may succeed later without any change to the data or configuration. */
    public abstract boolean isTransient();

    /** True when {@code t} or one of its causes is a transient {@link SchemaSerdeException}. */
    public static boolean isTransient(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SchemaSerdeException e) {
                return e.isTransient();
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }
}
