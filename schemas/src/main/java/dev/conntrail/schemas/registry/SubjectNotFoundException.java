package dev.conntrail.schemas.registry;

/**
 * The subject, or the schema under the subject, is not registered. Raised when
 * {@code auto.register.schemas=false} and nobody registered the schema, or with
 * {@code use.latest.version=true} on an empty subject. Permanent until someone registers it.
 */
public class SubjectNotFoundException extends RegistryException {
    private static final long serialVersionUID = 1L;

    public SubjectNotFoundException(String message, int errorCode) {
        super(message, 404, errorCode, null);
    }

    @Override
    public boolean isTransient() {
        return false;
    }
}
