package dev.conntrail.schemas.registry;

import java.util.List;
import org.apache.avro.Schema;

/**
 * The part of the Confluent Schema Registry API conntrail uses. Implementations: {@link RestSchemaRegistryClient}
 * (any Confluent-compatible registry over HTTP) and {@link MockSchemaRegistry} ({@code mock://} URLs, one JVM).
 * Implementations do not cache; {@link CachedSchemaRegistry} does. All methods throw a {@link RegistryException}
 * subtype on failure.
 */
public interface SchemaRegistryClient {

    /** {@code POST /subjects/{subject}/versions}: registers the schema (or finds it) and returns its global id. */
    int register(String subject, Schema schema);

    /** {@code POST /subjects/{subject}}: the id of a schema already registered under the subject. */
    RegisteredSchema lookup(String subject, Schema schema);

    /** {@code GET /schemas/ids/{id}}. */
    Schema schemaById(int id);

    /** {@code GET /subjects/{subject}/versions/latest}. */
    RegisteredSchema latest(String subject);

    /**
     * {@code POST /compatibility/subjects/{subject}/versions/latest?verbose=true}: empty when the schema is
     * compatible under the subject's level, else the registry's reasons.
     */
    List<String> compatibilityProblems(String subject, Schema schema);

    /** {@code PUT /config/{subject}}. */
    void setCompatibility(String subject, CompatibilityLevel level);

    /** {@code GET /config/{subject}} with {@code defaultToGlobal=true}. */
    CompatibilityLevel compatibility(String subject);

    /** Where this client talks to, for messages (no credentials). */
    String describe();
}
