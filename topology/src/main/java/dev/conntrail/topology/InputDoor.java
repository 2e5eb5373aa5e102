package dev.conntrail.topology;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.Keys;
import dev.conntrail.schemas.RecordBounds;
import dev.conntrail.topology.errors.InputRejectedException;

/**
 * What an input record must be before the table acts on it (docs/design.md rule 8 (guarantees) and
 * "Records"): keyed; of the topic's record type; within {@link RecordBounds}; and of one host, the
 * key's: a record may only ever act on the rows of the host its key names (so a producer credential
 * of one host cannot close, end a snapshot of, or add NAT entries to another host). Anything else is
 * an {@link InputRejectedException} with its reason, dead-lettered by the processing handler.
 */
final class InputDoor {
    private InputDoor() {
    }

    /** A tcp-events record: a TcpEvent within the bounds, keyed by its host (HEARTBEAT, SNAPSHOT_END) or a connection id of it. */
    static TcpEvent event(String topic, String key, Object value) {
        checkKey(topic, key);
        if (value == null) {
            throw new InputRejectedException(InputRejectedException.NULL_VALUE, "a null value (tombstone) on " + topic
                    + ", which carries TcpEvent records and deletes nothing; key " + shortened(key));
        }
        if (!(value instanceof TcpEvent e)) {
            throw new InputRejectedException(InputRejectedException.WRONG_TYPE, "a " + value.getClass().getSimpleName() + " on " + topic
                    + ", which carries TcpEvent records; key " + shortened(key));
        }
        RecordBounds.Violation out = RecordBounds.violation(e);
        if (out != null) {
            throw InputRejectedException.of(out, "TcpEvent of host " + shortened(e.getHost()));
        }
        String host = checkHost(e.getHost());
        String keyHost = Keys.hostOf(key);
        if (!keyHost.equals(host)) {
            throw new InputRejectedException(InputRejectedException.HOST_MISMATCH, e.getType() + " of host " + host + " keyed by host "
                    + shortened(keyHost) + " (key " + shortened(key) + "): a record acts only on the rows of its own host");
        }
        boolean hostKeyed = e.getType() == EventType.HEARTBEAT || e.getType() == EventType.SNAPSHOT_END;
        if (hostKeyed && key.length() != host.length()) {
            throw new InputRejectedException(InputRejectedException.BAD_KEY, e.getType() + " of host " + host + " must be keyed by the host, not "
                    + shortened(key));
        }
        if (!hostKeyed && key.length() == host.length()) {
            throw new InputRejectedException(InputRejectedException.BAD_KEY, e.getType() + " of host " + host
                    + " must be keyed by its connection id, not by the host alone");
        }
        return e;
    }

    /** A conntrack-nat record: a NatEntry within the bounds keyed by exactly its NAT key, or a tombstone (null) of a NAT key. */
    static NatEntry nat(String topic, String key, Object value) {
        checkKey(topic, key);
        if (value == null) {
            checkHost(Keys.hostOf(key));
            return null;
        }
        if (!(value instanceof NatEntry n)) {
            throw new InputRejectedException(InputRejectedException.WRONG_TYPE, "a " + value.getClass().getSimpleName() + " on " + topic
                    + ", which carries NatEntry records; key " + shortened(key));
        }
        RecordBounds.Violation out = RecordBounds.violation(n);
        if (out != null) {
            throw InputRejectedException.of(out, "NatEntry of host " + shortened(n.getHost()));
        }
        String host = checkHost(n.getHost());
        String keyHost = Keys.hostOf(key);
        if (!keyHost.equals(host)) {
            throw new InputRejectedException(InputRejectedException.HOST_MISMATCH, "NatEntry of host " + host + " keyed by host "
                    + shortened(keyHost) + ": a record acts only on the rows of its own host");
        }
        if (!key.equals(Keys.of(n))) {
            throw new InputRejectedException(InputRejectedException.BAD_KEY, "NatEntry keyed " + shortened(key) + " but its NAT key is "
                    + Keys.of(n));
        }
        return n;
    }

    private static void checkKey(String topic, String key) {
        if (key == null) {
            throw new InputRejectedException(InputRejectedException.NO_KEY, "a record without a key on " + topic);
        }
        RecordBounds.Violation tooLong = RecordBounds.keyViolation(key);
        if (tooLong != null) {
            throw InputRejectedException.of(tooLong, "a record on " + topic + " keyed " + shortened(key));
        }
    }

    private static String checkHost(String host) {
        if (host == null || host.isEmpty() || host.indexOf(Keys.SEPARATOR) >= 0) {
            throw new InputRejectedException(InputRejectedException.BAD_HOST, "host id must be non-empty and must not contain '|': "
                    + shortened(host));
        }
        return host;
    }

    /** A value for a message: at most 80 characters of it. */
    static String shortened(String s) {
        if (s == null) return "null";
        return s.length() <= 80 ? s : s.substring(0, 80) + "… (" + s.length() + " characters)";
    }
}
