package dev.conntrail.schemas.registry;

/** The registry refused a schema as incompatible with the subject's earlier versions. Permanent. */
public class IncompatibleSchemaException extends RegistryException {
    private static final long serialVersionUID = 1L;

    public IncompatibleSchemaException(String message, int status, int errorCode) {
        super(message, status, errorCode, null);
    }

    @Override
    public boolean isTransient() {
        return false;
    }
}
