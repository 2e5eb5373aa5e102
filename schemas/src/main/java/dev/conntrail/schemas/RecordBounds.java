package dev.conntrail.schemas;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.NatInfo;
import dev.conntrail.avro.TcpEvent;

/**
 * The size bounds of the contract's records (docs/design.md, "Records"): the longest value each
 * text field and key may have. The topology refuses (dead-letters) input beyond them, so every row
 * it writes fits a Kafka record with room to spare ({@link #ROW_RECORD_MAX_BYTES}); {@link Keys}
 * refuses a host id beyond them, so a producer never writes such input.
 */
public final class RecordBounds {
    /** A host id, UTF-8 bytes (a DNS name is at most 253). */
    public static final int HOST_MAX_BYTES = 255;
    /** A command name, UTF-8 bytes (the kernel's {@code TASK_COMM_LEN} is 16). */
    public static final int COMM_MAX_BYTES = 64;
    /** An IPv4 address in dotted text ({@code 255.255.255.255}). */
    public static final int IPV4_TEXT_MAX = 15;
    /** An IPv6 address in RFC 5952 text, IPv4-mapped included ({@code ffff:…:255.255.255.255}). */
    public static final int IPV6_TEXT_MAX = 45;
    /** A container id, UTF-8 bytes (the runtimes' are 64 hex digits). */
    public static final int CONTAINER_MAX_BYTES = 128;
    /** A snapshot id, UTF-8 bytes (the producer's are about 30). */
    public static final int SNAPSHOT_ID_MAX_BYTES = 128;
    /** A record key, UTF-8 bytes: the longest connection id or NAT key the bounds above allow is about 400. */
    public static final int KEY_MAX_BYTES = 512;
    /**
     * The largest row change the topology writes to {@code connections}, key, value (wire format) and
     * headers together, with every field at its bound (checked by a test); the sink's record limit
     * must be at least this.
     */
    public static final int ROW_RECORD_MAX_BYTES = 2048;

    private RecordBounds() {
    }

    /**
     * What is wrong with a record: a field longer than its bound ({@code tooLong}), or an address field
     * that is not address text.
     */
    public record Violation(boolean tooLong, String message) {
        @Override
        public String toString() {
            return message;
        }
    }

    /** Null when the event is within the bounds, else which field is not (one line). */
    public static Violation violation(TcpEvent e) {
        Violation v = text("host", e.getHost(), HOST_MAX_BYTES);
        if (v == null) v = text("comm", e.getComm(), COMM_MAX_BYTES);
        if (v == null) v = address("laddr", e.getLaddr(), e.getFamily());
        if (v == null) v = address("raddr", e.getRaddr(), e.getFamily());
        if (v == null) v = text("snapshotId", e.getSnapshotId(), SNAPSHOT_ID_MAX_BYTES);
        if (v == null) v = text("container", e.getContainer(), CONTAINER_MAX_BYTES);
        return v;
    }

    /** Null when the entry is within the bounds, else which field is not. */
    public static Violation violation(NatEntry n) {
        Violation v = text("host", n.getHost(), HOST_MAX_BYTES);
        if (v == null) v = address("origSrc", n.getOrigSrc(), n.getFamily());
        if (v == null) v = address("origDst", n.getOrigDst(), n.getFamily());
        if (v == null) v = address("replySrc", n.getReplySrc(), n.getFamily());
        if (v == null) v = address("replyDst", n.getReplyDst(), n.getFamily());
        return v;
    }

    /** Null when the row is within the bounds, else which field is not. */
    public static Violation violation(Connection c) {
        Violation v = text("host", c.getHost(), HOST_MAX_BYTES);
        if (v == null) v = text("comm", c.getComm(), COMM_MAX_BYTES);
        if (v == null) v = address("laddr", c.getLaddr(), c.getFamily());
        if (v == null) v = address("raddr", c.getRaddr(), c.getFamily());
        if (v == null) v = text("container", c.getContainer(), CONTAINER_MAX_BYTES);
        NatInfo nat = c.getNat();
        if (v == null && nat != null) {
            v = address("nat.origSrc", nat.getOrigSrc(), null);
            if (v == null) v = address("nat.origDst", nat.getOrigDst(), null);
            if (v == null) v = address("nat.replySrc", nat.getReplySrc(), null);
            if (v == null) v = address("nat.replyDst", nat.getReplyDst(), null);
        }
        return v;
    }

    /** Null when the key is within {@link #KEY_MAX_BYTES}, else a line saying it is not. */
    public static Violation keyViolation(String key) {
        return key == null ? null : text("key", key, KEY_MAX_BYTES);
    }

    /** Null when {@code value} is null or at most {@code max} UTF-8 bytes. */
    static Violation text(String field, CharSequence value, int max) {
        if (value == null || value.length() <= max / 3) return null; // 3 bytes per char at most: cannot be too long
        int bytes = utf8Length(value);
        return bytes <= max ? null : new Violation(true, field + " is " + bytes + " bytes, more than " + max);
    }

    /**
     * Null when the address is null or is address text of the family: at most {@link #IPV4_TEXT_MAX}
     * (IPv4) or {@link #IPV6_TEXT_MAX} characters (IPv6, or a family not given), of hex digits,
     * {@code .} and {@code :} only.
     */
    static Violation address(String field, CharSequence value, Family family) {
        if (value == null) return null;
        int max = family == Family.IPV4 ? IPV4_TEXT_MAX : IPV6_TEXT_MAX;
        if (value.length() > max) {
            return new Violation(true, field + " is " + value.length() + " characters, more than the " + max + " of an "
                    + (family == Family.IPV4 ? "IPv4" : "IPv6") + " address");
        }
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            boolean ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') || ch == '.' || ch == ':';
            if (!ok) {
                return new Violation(false, field + " is not address text (character " + (int) ch + " at " + i + ")");
            }
        }
        return null;
    }

    /** The UTF-8 length of a string, without encoding it (an unpaired surrogate counts 3 bytes: never less than the encoder writes). */
    public static int utf8Length(CharSequence s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x80) {
                n++;
            } else if (ch < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
