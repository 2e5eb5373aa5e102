package dev.conntrail.topology.it;

import dev.conntrail.testkit.RealCluster;
import dev.conntrail.topology.run.ValueSerdes;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/** The real registry serdes against the testkit's shared Apicurio registry. */
public final class TestSerdes {
    private static final ValueSerdes SERDES = ValueSerdes.registry();

    private TestSerdes() {
    }

    /** bootstrap.servers of the shared broker, schema.registry.url of the shared registry. */
    public static Map<String, Object> client() {
        return new HashMap<>(RealCluster.clientConfig());
    }

    public static <T extends SpecificRecord> Serde<T> forValues(Class<T> type) {
        return SERDES.forValues(type, client());
    }
}
