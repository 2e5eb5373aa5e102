package dev.conntrail.topology.errors;

/**
 * An input record the topology refuses, with a short reason code: it is dead-lettered with the
 * code in the {@code conntrail.error.reason} header (and this message in Kafka Streams' own error
 * headers), counted in {@code conntrail_topology_dead_lettered_total{stage="processing",reason}},
 * and processing continues. docs/design.md rule 8 (guarantees) lists the reasons.
 */
public final class InputRejectedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** No key (every input record is keyed by its host). */
    public static final String NO_KEY = "no-key";
    /** A tcp-events record with a null value (a tombstone means nothing there). */
    public static final String NULL_VALUE = "null-value";
    /** A value of another record type than the topic carries (a NatEntry on tcp-events...). */
    public static final String WRONG_TYPE = "wrong-type";
    /** A field or the key longer than docs/design.md, "Records", allows. */
    public static final String TOO_LONG = "field-too-long";
    /** An address field that is not address text (hex digits, '.' and ':'). */
    public static final String NOT_AN_ADDRESS = "not-an-address";
    /** An empty host, or one with '|'. */
    public static final String BAD_HOST = "bad-host";
    /** The key's host is not the value's host: a record may only act on its own host's rows. */
    public static final String HOST_MISMATCH = "host-mismatch";
    /** The key is not what the contract keys such a record by (a connection id, the host, a NAT key). */
    public static final String BAD_KEY = "bad-key";
    /** A field the record's type needs is missing (a CONNECT without its tuple, a SNAPSHOT_END without its snapshotId). */
    public static final String MISSING_FIELD = "missing-field";
    /** A host's record in another partition than its host's. */
    public static final String WRONG_PARTITION = "wrong-partition";
    /** The row change it makes is larger than the sink accepts. */
    public static final String ROW_TOO_LARGE = "row-too-large";

    private final String reason;

    /** The rejection of a record beyond the bounds of docs/design.md, "Records". */
    public static InputRejectedException of(dev.conntrail.schemas.RecordBounds.Violation v, String what) {
        return new InputRejectedException(v.tooLong() ? TOO_LONG : NOT_AN_ADDRESS, what + ": " + v.message());
    }

    public InputRejectedException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
