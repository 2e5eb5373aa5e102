package dev.conntrail.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
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

    /**
     * The client properties: file, then flags, then bootstrap servers and registry URL.
     *
     * @throws UsageException the {@code --config} file cannot be read: the message names the file and why
     */
    public Map<String, Object> clientProperties() {
        Map<String, Object> props = new LinkedHashMap<>();
        if (configFile != null) {
            Properties file = new Properties();
            try (Reader reader = Files.newBufferedReader(configFile)) {
                file.load(reader);
            } catch (IOException | IllegalArgumentException e) {
                throw new UsageException("cannot read --config " + configFile + ": " + why(e));
            }
            file.stringPropertyNames().forEach(k -> props.put(k, file.getProperty(k)));
        }
        props.putAll(kafkaProperties);
        props.putIfAbsent("bootstrap.servers", bootstrapServers);
        props.putIfAbsent("schema.registry.url", schemaRegistryUrl);
        return props;
    }

    private static String why(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.charset.CharacterCodingException) {
            return "not UTF-8 text";
        }
        if (e instanceof IOException && e.getMessage() != null && e.getMessage().contains("Is a directory")) {
            return "it is a directory";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
