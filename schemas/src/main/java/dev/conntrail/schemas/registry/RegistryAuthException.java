package dev.conntrail.schemas.registry;

/** The registry refused the credentials (HTTP 401) or the permission (HTTP 403). Permanent. */
public class RegistryAuthException extends RegistryException {
    private static final long serialVersionUID = 1L;

    public RegistryAuthException(String message, int status, int errorCode) {
        super(message, status, errorCode, null);
    }

    @Override
    public boolean isTransient() {
        return false;
    }
}
