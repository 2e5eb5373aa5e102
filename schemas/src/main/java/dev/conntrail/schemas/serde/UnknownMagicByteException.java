package dev.conntrail.schemas.serde;

/** The first byte of a value is not the Confluent wire format's magic byte 0. Permanent. */
public class UnknownMagicByteException extends WireFormatException {
    private static final long serialVersionUID = 1L;
    private final int magic;

    public UnknownMagicByteException(String topic, int magic) {
        super(String.format("record on topic '%s' starts with byte 0x%02x, not the Confluent wire format's magic"
                + " byte 0x00: it was not written by an Avro serializer with a schema registry (plain JSON or"
                + " string?); fix the producer of this topic or read it with another deserializer", topic, magic),
                null);
        this.magic = magic;
    }

    public int magic() {
        return magic;
    }
}
