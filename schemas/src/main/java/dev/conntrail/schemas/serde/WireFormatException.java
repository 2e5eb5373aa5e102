package dev.conntrail.schemas.serde;

import dev.conntrail.schemas.SchemaSerdeException;

/** The bytes of a record are not a valid Confluent-wire-format Avro value. Permanent: dead-letter the record. */
public class WireFormatException extends SchemaSerdeException {
    private static final long serialVersionUID = 1L;

    public WireFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean isTransient() {
        return false;
    }
}
