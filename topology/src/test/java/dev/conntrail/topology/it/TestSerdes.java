package dev.conntrail.topology.it;

import dev.conntrail.topology.run.ValueSerdes;
import java.lang.reflect.Method;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/** Interim value serdes for tests on a real broker: RawAvroSerde until the registry serde and Apicurio fixture land. */
public final class TestSerdes implements ValueSerdes {
    public static final TestSerdes INSTANCE = new TestSerdes();

    @Override
    @SuppressWarnings("unchecked")
    public <T extends SpecificRecord> Serde<T> forValues(Class<T> type, Map<String, Object> clientProperties) {
        try {
            Class<?> raw = Class.forName("dev.conntrail.topology.RawAvroSerde");
            Method of = raw.getDeclaredMethod("of", Class.class);
            of.setAccessible(true);
            return (Serde<T>) of.invoke(null, type);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
