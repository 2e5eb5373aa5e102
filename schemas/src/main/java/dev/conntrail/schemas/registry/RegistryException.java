package dev.conntrail.schemas.registry;

import dev.conntrail.schemas.SchemaSerdeException;

/**
 * The schema registry answered with an error this client has no more specific type for. Transient
 * when the registry said so with a 5xx status (it may recover), or asked us to slow down (429) or
 * timed the request out (408); permanent otherwise.
 */
public class RegistryException extends SchemaSerdeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final int errorCode;

    public RegistryException(String message, int status, int errorCode, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    /** The HTTP status, or 0 when there was no HTTP answer. */
    public int status() {
        return status;
    }

    /** The registry's {@code error_code} (e.g. 40403 schema not found), or 0 when it gave none. */
    public int errorCode() {
        return errorCode;
    }

    @Override
    public boolean isTransient() {
        return status >= 500 || status == 429 || status == 408;
    }
}
