package dev.conntrail.schemas.serde;

/** The serializer was handed a value it cannot write (not an Avro record), or the data does not fit its schema. */
public class UnsupportedValueException extends WireFormatException {
    private static final long serialVersionUID = 1L;

    public UnsupportedValueException(String message, Throwable cause) {
        super(message, cause);
    }
}
