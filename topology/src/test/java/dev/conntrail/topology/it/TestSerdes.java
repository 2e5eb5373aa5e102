package dev.conntrail.topology.it;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.registry.MockSchemaRegistry;
import dev.conntrail.schemas.serde.SpecificAvroSerde;
import dev.conntrail.topology.run.ValueSerdes;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/**
 * The real registry serde against the in-memory registry {@code mock://it}. A mock registry lives
 * in one JVM, so the three schemas are registered first, in a fixed order, in every JVM of a test
 * (the test's and the SIGKILLed child's): the same ids everywhere. Interim, until the testkit's
 * Apicurio registry lands.
 */
public final class TestSerdes implements ValueSerdes {
    public static final String URL = "mock://it";
    public static final TestSerdes INSTANCE = new TestSerdes();

    public static synchronized void preregister() {
        MockSchemaRegistry registry = MockSchemaRegistry.forScope("it");
        registry.register("ids-1", TcpEvent.getClassSchema());
        registry.register("ids-2", NatEntry.getClassSchema());
        registry.register("ids-3", Connection.getClassSchema());
    }

    @Override
    public <T extends SpecificRecord> Serde<T> forValues(Class<T> type, Map<String, Object> clientProperties) {
        preregister();
        SpecificAvroSerde<T> serde = new SpecificAvroSerde<>();
        serde.configure(Map.of("schema.registry.url", URL), false);
        return serde;
    }
}
