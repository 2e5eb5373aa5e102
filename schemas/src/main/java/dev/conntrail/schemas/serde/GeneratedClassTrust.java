package dev.conntrail.schemas.serde;

import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.specific.SpecificFixed;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;

/**
 * Avro 1.12 refuses to load any class named by a schema unless trusted (a guard against deserialization gadgets),
 * which also blocks generated record classes. This adds trust for Avro-generated types only — classes that are
 * {@link SpecificRecord}s, generated enums or {@link SpecificFixed} — to whatever the JVM already trusts.
 */
final class GeneratedClassTrust {
    private static boolean installed;

    private GeneratedClassTrust() {
    }

    static synchronized void install() {
        if (installed) {
            return;
        }
        ClassSecurityPredicate generated = cls -> SpecificRecord.class.isAssignableFrom(cls)
                || (cls.isEnum() && GenericEnumSymbol.class.isAssignableFrom(cls))
                || SpecificFixed.class.isAssignableFrom(cls);
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), generated));
        installed = true;
    }
}
