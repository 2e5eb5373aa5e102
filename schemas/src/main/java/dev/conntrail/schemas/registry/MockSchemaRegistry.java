package dev.conntrail.schemas.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * An in-memory schema registry for {@code mock://<scope>} URLs, shared by every client of the same scope in one
 * JVM (like Confluent's {@code MockSchemaRegistry}). It keeps the real registry's rules that matter to conntrail:
 * one global id per distinct schema, versions per subject, and compatibility checks (default {@code BACKWARD}, as
 * Confluent's registry) with Avro's {@link SchemaCompatibility}. Used by unit tests and by {@code local} runs
 * without a registry.
 */
public final class MockSchemaRegistry implements SchemaRegistryClient {
    private static final Map<String, MockSchemaRegistry> SCOPES = new ConcurrentHashMap<>();

    private final String scope;
    private final Map<Integer, Schema> byId = new HashMap<>();
    private final Map<Schema, Integer> idOf = new HashMap<>();
    private final Map<String, List<Integer>> versions = new HashMap<>();
    private final Map<String, CompatibilityLevel> levels = new HashMap<>();
    private CompatibilityLevel globalLevel = CompatibilityLevel.BACKWARD;
    private int nextId = 1;

    private MockSchemaRegistry(String scope) {
        this.scope = scope;
    }

    /** The registry of a scope ({@code mock://scope}), created on first use. */
    public static MockSchemaRegistry forScope(String scope) {
        return SCOPES.computeIfAbsent(scope, MockSchemaRegistry::new);
    }

    /** Forgets a scope, e.g. between tests. */
    public static void dropScope(String scope) {
        SCOPES.remove(scope);
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        List<Integer> ids = versions.computeIfAbsent(subject, s -> new ArrayList<>());
        Integer existing = idOf.get(schema);
        if (existing != null && ids.contains(existing)) {
            return existing;
        }
        List<String> problems = problems(subject, schema);
        if (!problems.isEmpty()) {
            throw new IncompatibleSchemaException("the schema registry at " + describe()
                    + " refused the schema for subject '" + subject + "' as incompatible: "
                    + String.join("; ", problems)
                    + " — change the schema compatibly (add fields with defaults) or change the subject's compatibility level",
                    409, 409);
        }
        int id = existing != null ? existing : nextId++;
        idOf.putIfAbsent(schema, id);
        byId.putIfAbsent(id, schema);
        ids.add(id);
        return id;
    }

    @Override
    public synchronized RegisteredSchema lookup(String subject, Schema schema) {
        List<Integer> ids = versions.getOrDefault(subject, List.of());
        Integer id = idOf.get(schema);
        if (id == null || !ids.contains(id)) {
            throw new SubjectNotFoundException("subject '" + subject + "' or its schema is not registered at "
                    + describe() + "; register it, or set auto.register.schemas=true", ids.isEmpty() ? 40401 : 40403);
        }
        return new RegisteredSchema(subject, id, ids.indexOf(id) + 1, schema);
    }

    @Override
    public synchronized Schema schemaById(int id) {
        Schema s = byId.get(id);
        if (s == null) {
            throw new UnknownSchemaIdException(id, describe());
        }
        return s;
    }

    @Override
    public synchronized RegisteredSchema latest(String subject) {
        List<Integer> ids = versions.getOrDefault(subject, List.of());
        if (ids.isEmpty()) {
            throw new SubjectNotFoundException("subject '" + subject + "' has no schema at " + describe()
                    + "; register one first (use.latest.version needs it)", 40401);
        }
        int id = ids.get(ids.size() - 1);
        return new RegisteredSchema(subject, id, ids.size(), byId.get(id));
    }

    @Override
    public synchronized List<String> compatibilityProblems(String subject, Schema schema) {
        return problems(subject, schema);
    }

    @Override
    public synchronized void setCompatibility(String subject, CompatibilityLevel level) {
        levels.put(subject, level);
    }

    @Override
    public synchronized CompatibilityLevel compatibility(String subject) {
        return levels.getOrDefault(subject, globalLevel);
    }

    /** Sets the level for subjects that have none of their own. */
    public synchronized void setGlobalCompatibility(CompatibilityLevel level) {
        globalLevel = level;
    }

    @Override
    public String describe() {
        return RegistryConfig.MOCK_SCHEME + scope;
    }

    private List<String> problems(String subject, Schema candidate) {
        CompatibilityLevel level = compatibility(subject);
        List<Integer> ids = versions.getOrDefault(subject, List.of());
        if (level == CompatibilityLevel.NONE || ids.isEmpty()) {
            return List.of();
        }
        List<Integer> against = level.transitive() ? ids : List.of(ids.get(ids.size() - 1));
        List<String> problems = new ArrayList<>();
        for (int id : against) {
            Schema earlier = byId.get(id);
            if (level.backward()) {
                check(problems, "new schema cannot read data written with version " + (ids.indexOf(id) + 1),
                        SchemaCompatibility.checkReaderWriterCompatibility(candidate, earlier));
            }
            if (level.forward()) {
                check(problems, "version " + (ids.indexOf(id) + 1) + " cannot read data written with the new schema",
                        SchemaCompatibility.checkReaderWriterCompatibility(earlier, candidate));
            }
        }
        return problems;
    }

    private static void check(List<String> problems, String what, SchemaPairCompatibility result) {
        if (result.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            result.getResult().getIncompatibilities().forEach(i -> problems.add(what + " (" + level(i) + ")"));
        }
    }

    private static String level(SchemaCompatibility.Incompatibility i) {
        return i.getType() + " at " + i.getLocation() + ": " + i.getMessage();
    }
}
