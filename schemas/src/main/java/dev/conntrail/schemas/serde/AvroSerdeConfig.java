package dev.conntrail.schemas.serde;

import dev.conntrail.schemas.registry.CachedSchemaRegistry;
import dev.conntrail.schemas.registry.RegistryConfig;
import dev.conntrail.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * The serde's settings, with the names and defaults of Confluent's {@code KafkaAvroSerializer} /
 * {@code KafkaAvroDeserializer}, so one properties file configures either.
 */
public final class AvroSerdeConfig {
    public static final String SCHEMA_REGISTRY_URL = RegistryConfig.URL;
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    public static final String USE_LATEST_VERSION = "use.latest.version";
    public static final String SPECIFIC_AVRO_READER = "specific.avro.reader";
    public static final String LATEST_CACHE_TTL_SEC = "latest.cache.ttl.sec";
    public static final String KEY_SUBJECT_NAME_STRATEGY = "key.subject.name.strategy";
    public static final String VALUE_SUBJECT_NAME_STRATEGY = "value.subject.name.strategy";
    private static final String TOPIC_NAME_STRATEGY = "TopicNameStrategy";

    final boolean autoRegister;
    final boolean useLatestVersion;
    final boolean specificReader;
    final long latestCacheTtlSeconds;
    final RegistryConfig registry;

    AvroSerdeConfig(Map<String, ?> configs, boolean isKey) {
        this.registry = RegistryConfig.from(configs);
        this.autoRegister = RegistryConfig.booleanValue(configs, AUTO_REGISTER_SCHEMAS, true);
        this.useLatestVersion = RegistryConfig.booleanValue(configs, USE_LATEST_VERSION, false);
        this.specificReader = RegistryConfig.booleanValue(configs, SPECIFIC_AVRO_READER, false);
        Object ttl = configs.get(LATEST_CACHE_TTL_SEC);
        this.latestCacheTtlSeconds = ttl == null ? -1 : Long.parseLong(String.valueOf(ttl).trim());
        String strategyKey = isKey ? KEY_SUBJECT_NAME_STRATEGY : VALUE_SUBJECT_NAME_STRATEGY;
        Object strategy = configs.get(strategyKey);
        if (strategy != null) {
            String name = strategy instanceof Class<?> c ? c.getName() : String.valueOf(strategy);
            if (!name.endsWith(TOPIC_NAME_STRATEGY)) {
                throw new ConfigException(strategyKey, name, "this serde supports only TopicNameStrategy"
                        + " (subject <topic>-value); use Confluent's serializer for other strategies");
            }
        }
    }

    SchemaRegistryClient newCachedClient() {
        return new CachedSchemaRegistry(registry.newClient(), latestCacheTtlSeconds);
    }

    static String subject(String topic, boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }
}
