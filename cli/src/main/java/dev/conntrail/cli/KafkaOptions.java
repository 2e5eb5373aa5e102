package dev.conntrail.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * Options of every command that talks to Kafka. Client settings (TLS, SASL, anything) pass through
 * from {@code --config FILE} and {@code --kafka-property k=v}, in that order, so a flag wins over the file.
 */
public final class KafkaOptions {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]", defaultValue = "localhost:9092",
            description = "Kafka brokers. Default: ${DEFAULT-VALUE}.")
    public String bootstrapServers = "localhost:9092";

    @Option(names = "--schema-registry-url", paramLabel = "URL", defaultValue = "http://localhost:8081",
            description = "Confluent-compatible schema registry (mock://NAME for an in-memory one). Default: ${DEFAULT-VALUE}.")
    public String schemaRegistryUrl = "http://localhost:8081";

    @Option(names = "--config", paramLabel = "FILE",
            description = "Kafka client / registry properties file (e.g. security.protocol, sasl.jaas.config).")
    public Path configFile;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "One Kafka client property; repeatable; wins over --config.")
    public Map<String, String> kafkaProperties = new LinkedHashMap<>();

    /** The client properties: file, then flags, then bootstrap servers and registry URL. */
    public Map<String, Object> clientProperties() {
        Map<String, Object> props = new LinkedHashMap<>();
        if (configFile != null) {
            Properties file = new Properties();
            try (Reader reader = Files.newBufferedReader(configFile)) {
                file.load(reader);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read --config " + configFile + ": " + e.getMessage(), e);
            }
            file.stringPropertyNames().forEach(k -> props.put(k, file.getProperty(k)));
        }
        props.putAll(kafkaProperties);
        props.putIfAbsent("bootstrap.servers", bootstrapServers);
        props.putIfAbsent("schema.registry.url", schemaRegistryUrl);
        return props;
    }

    /** Values that must never reach a log line. */
    public static boolean isSecret(String key) {
        String k = key.toLowerCase(java.util.Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("jaas") || k.contains("user.info")
                || k.contains("token") || k.endsWith(".key");
    }

    /** The properties as text safe for logs: secrets replaced by {@code [hidden]}. */
    public static String redacted(Map<String, ?> props) {
        StringBuilder sb = new StringBuilder("{");
        props.forEach((k, v) -> {
            if (sb.length() > 1) sb.append(", ");
            sb.append(k).append('=').append(isSecret(k) ? "[hidden]" : v);
        });
        return sb.append('}').toString();
    }
}
