package dev.conntrail.testkit;

import dev.conntrail.broker.EmbeddedKafkaCluster;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real Kafka broker and the real schema registry shared by all tests of one test JVM (one Maven module's
 * surefire run): each starts on first use, at most once, and stops when the JVM exits.
 *
 * <pre>{@code
 * String bootstrap = RealCluster.broker().bootstrapServers();
 * String registry = RealCluster.registry().url();
 * Map<String, Object> props = RealCluster.clientConfig();   // bootstrap.servers + schema.registry.url
 * }</pre>
 * Tests sharing them must use their own topic names and registry subjects (e.g. with a random suffix).
 */
public final class RealCluster {
    private static final Logger LOG = LoggerFactory.getLogger(RealCluster.class);
    private static EmbeddedKafkaCluster broker;
    private static ApicurioRegistry registry;

    private RealCluster() {
    }

    /** The shared broker, started on first call. */
    public static synchronized EmbeddedKafkaCluster broker() {
        if (broker == null) {
            broker = EmbeddedKafkaCluster.start();
            EmbeddedKafkaCluster b = broker;
            Runtime.getRuntime().addShutdownHook(new Thread(b::close, "embedded-kafka-shutdown"));
            LOG.info("shared test broker: {} (start-up {} ms)", b.bootstrapServers(), b.startupMillis());
        }
        return broker;
    }

    /** The shared Apicurio registry, started on first call. */
    public static synchronized ApicurioRegistry registry() {
        if (registry == null) {
            registry = ApicurioRegistry.start(); // kills its child on JVM exit itself
            LOG.info("shared test registry: {} (start-up {} ms)", registry.url(), registry.startupMillis());
        }
        return registry;
    }

    /** {@code schema.registry.url} of {@link #registry()} (no broker started), plus the pairs {@code keysAndValues}. */
    public static Map<String, Object> registryConfig(Object... keysAndValues) {
        Map<String, Object> m = new HashMap<>();
        m.put("schema.registry.url", registry().url());
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    /** {@code bootstrap.servers} of {@link #broker()} and {@code schema.registry.url} of {@link #registry()}. */
    public static Map<String, Object> clientConfig() {
        Map<String, Object> m = new HashMap<>(broker().clientConfig());
        m.put("schema.registry.url", registry().url());
        return m;
    }
}
