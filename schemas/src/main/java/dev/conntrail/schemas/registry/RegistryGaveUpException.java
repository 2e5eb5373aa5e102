package dev.conntrail.schemas.registry;

import java.time.Duration;

/**
 * {@link RetryingSchemaRegistry} retried a registry failure for as long as it was allowed to and the
 * registry still failed: the last failure is the cause. Permanent for this call, and never about the
 * record's bytes: a reader must not dead-letter the record, but stop and say what to check.
 */
public class RegistryGaveUpException extends RegistryException {
    private static final long serialVersionUID = 1L;
    private final Duration failingFor;

    public RegistryGaveUpException(String call, Duration failingFor, RegistryException last) {
        super("the schema registry failed " + call + " for " + failingFor.toSeconds() + " s (last: " + last.getMessage() + ")",
                last.status(), last.errorCode(), last);
        this.failingFor = failingFor;
    }

    /** How long the call was retried. */
    public Duration failingFor() {
        return failingFor;
    }

    /** The registry's last answer. */
    public RegistryException last() {
        return (RegistryException) getCause();
    }

    @Override
    public boolean isTransient() {
        return false;
    }
}
