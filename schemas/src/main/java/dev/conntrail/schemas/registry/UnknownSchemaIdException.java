package dev.conntrail.schemas.registry;

/** The registry has no schema with the id a record names. Permanent for that record. */
public class UnknownSchemaIdException extends RegistryException {
    private static final long serialVersionUID = 1L;
    private final int schemaId;

    public UnknownSchemaIdException(int schemaId, String registry) {
        super("schema id " + schemaId + " is not known to the schema registry at " + registry
                + ": the record was written against another registry, or the schema was deleted;"
                + " point schema.registry.url at the registry its producer used", 404, 40403, null);
        this.schemaId = schemaId;
    }

    public int schemaId() {
        return schemaId;
    }

    @Override
    public boolean isTransient() {
        return false;
    }
}
