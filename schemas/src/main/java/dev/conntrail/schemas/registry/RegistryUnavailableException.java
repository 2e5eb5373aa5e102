package dev.conntrail.schemas.registry;

/**
 * The registry could not be reached (connection refused, timeout, TLS handshake failed, or a 5xx
 * answer from every URL). Transient: retry, never dead-letter the record.
 */
public class RegistryUnavailableException extends RegistryException {
    private static final long serialVersionUID = 1L;

    public RegistryUnavailableException(String message, int status, Throwable cause) {
        super(message, status, 0, cause);
    }

    @Override
    public boolean isTransient() {
        return true;
    }
}
