package dev.conntrail.topology.state;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to instantiate classes it was not told to trust; the generated records of
 * {@code dev.conntrail.avro} are ours. Added to (never replacing) the global predicate, once.
 */
public final class AvroTrust {
    private static boolean done;

    private AvroTrust() {
    }

    public static synchronized void trustConntrailRecords() {
        if (done) return;
        ClassSecurityValidator.ClassSecurityPredicate before = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(before,
                c -> c.getName().startsWith("dev.conntrail.avro.")));
        done = true;
    }
}
