package dev.conntrail.schemas.serde;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * A {@link SpecificDatumWriter} that writes exactly the bytes of {@code new SpecificDatumWriter<>(schema)} but
 * resolves union branches from a per-union cache instead of Avro's generic resolution, which looks up the
 * datum's class in the conversions map, builds its schema name and looks that name up in the union for every
 * union field of every record (our records have many {@code ["null", T]} fields; the generated classes get no
 * custom coders because the schemas use timestamp logical types).
 *
 * <p>Why it is exact: the data model is the one plain {@code SpecificDatumWriter(Schema)} picks
 * ({@link SpecificData#getForSchema}: the generated class's {@code MODEL$} with its timestamp conversions), and a
 * cached answer is only ever one Avro itself gave. A null datum resolves to the union's null branch (what Avro's
 * {@code getSchemaName(null) = "null"} lookup gives). A non-null datum is resolved by Avro once per (union, class)
 * and the answer reused for that class — only for classes whose resolution depends on the class alone (not
 * generic records, enum symbols or fixed values, whose schema is per instance). A datum Avro cannot resolve is
 * never cached, so it fails as before.
 */
final class UnionCachingDatumWriter extends SpecificDatumWriter<Object> {
    static {
        GeneratedClassTrust.install(); // getForSchema loads the generated class, which Avro 1.12 must trust
    }

    /** How many datum classes one union remembers (["null","string"] may see String and Utf8); more go to Avro. */
    private static final int CLASSES_PER_UNION = 4;

    /** Every union schema reachable from the root, by identity; built once, only read afterwards. */
    private final Map<Schema, UnionCache> unions;

    UnionCachingDatumWriter(Schema root) {
        super(root, SpecificData.getForSchema(root));
        IdentityHashMap<Schema, UnionCache> found = new IdentityHashMap<>();
        collectUnions(root, found, new IdentityHashMap<>());
        this.unions = found;
    }

    private static void collectUnions(Schema s, Map<Schema, UnionCache> found, Map<Schema, Boolean> seen) {
        if (seen.put(s, Boolean.TRUE) != null) {
            return;
        }
        switch (s.getType()) {
            case RECORD -> s.getFields().forEach(f -> collectUnions(f.schema(), found, seen));
            case ARRAY -> collectUnions(s.getElementType(), found, seen);
            case MAP -> collectUnions(s.getValueType(), found, seen);
            case UNION -> {
                found.put(s, new UnionCache(s.getTypes()));
                s.getTypes().forEach(t -> collectUnions(t, found, seen));
            }
            default -> {
            }
        }
    }

    @Override
    protected int resolveUnion(Schema union, Object datum) {
        UnionCache cache = unions.get(union);
        if (cache == null) {
            return super.resolveUnion(union, datum);
        }
        if (datum == null) {
            return cache.nullIndex >= 0 ? cache.nullIndex : super.resolveUnion(union, null);
        }
        Class<?> cls = datum.getClass();
        ClassIndex[] known = cache.classes;
        for (ClassIndex k : known) {
            if (k.cls == cls) {
                return k.index;
            }
        }
        int index = super.resolveUnion(union, datum); // throws for a datum the union cannot take: never cached
        if (known.length < CLASSES_PER_UNION && resolvedByClassAlone(datum)) {
            ClassIndex[] more = java.util.Arrays.copyOf(known, known.length + 1);
            more[known.length] = new ClassIndex(cls, index);
            cache.classes = more; // a lost race only costs another resolution later
        }
        return index;
    }

    /**
     * Avro names a generic record, enum symbol or fixed by the schema the instance carries, so two instances of
     * one class can resolve differently; generated records, Java enums and every other datum (boxed
     * primitives, strings, Utf8, ByteBuffer, collections, logical-type values) resolve by their class.
     */
    private static boolean resolvedByClassAlone(Object datum) {
        return !(datum instanceof GenericContainer) || datum instanceof SpecificRecord || datum instanceof Enum<?>;
    }

    private record ClassIndex(Class<?> cls, int index) {
    }

    private static final class UnionCache {
        final int nullIndex;
        volatile ClassIndex[] classes = new ClassIndex[0];

        UnionCache(List<Schema> branches) {
            int n = -1;
            for (int i = 0; i < branches.size(); i++) {
                if (branches.get(i).getType() == Schema.Type.NULL) {
                    n = i;
                    break;
                }
            }
            this.nullIndex = n;
        }
    }
}
