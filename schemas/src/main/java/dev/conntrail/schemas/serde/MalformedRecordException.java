package dev.conntrail.schemas.serde;

/**
 * The value has the wire-format header but its Avro body does not decode with the writer schema its id names
 * (truncated, corrupted, or written with another schema than the id says), or the registered schema has no
 * generated class here. Permanent.
 */
public class MalformedRecordException extends WireFormatException {
    private static final long serialVersionUID = 1L;

    public MalformedRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
