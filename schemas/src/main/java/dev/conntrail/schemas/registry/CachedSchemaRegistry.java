package dev.conntrail.schemas.registry;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.apache.avro.Schema;

/**
 * A {@link SchemaRegistryClient} that remembers answers that never change — schema → id per subject, id → schema —
 * and the latest version of a subject for a bounded time (like Confluent's {@code latest.cache.ttl.sec}).
 * Failures are not cached, so a registry that comes back is used again.
 */
public final class CachedSchemaRegistry implements SchemaRegistryClient {
    private final SchemaRegistryClient delegate;
    private final long latestTtlNanos;
    private final Map<String, Map<Schema, Integer>> registered = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, RegisteredSchema>> looked = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();
    private final Map<String, Timed> latest = new ConcurrentHashMap<>();

    private record Timed(RegisteredSchema value, long at) {
    }

    /** @param latestTtlSeconds how long {@link #latest} answers are kept; negative: forever */
    public CachedSchemaRegistry(SchemaRegistryClient delegate, long latestTtlSeconds) {
        this.delegate = delegate;
        this.latestTtlNanos = latestTtlSeconds < 0 ? Long.MAX_VALUE : latestTtlSeconds * 1_000_000_000L;
    }

    public SchemaRegistryClient delegate() {
        return delegate;
    }

    @Override
    public int register(String subject, Schema schema) {
        return remembered(registered, subject, schema, () -> delegate.register(subject, schema), id -> id);
    }

    @Override
    public RegisteredSchema lookup(String subject, Schema schema) {
        return remembered(looked, subject, schema, () -> delegate.lookup(subject, schema), RegisteredSchema::id);
    }

    /**
     * The answer {@code cache} holds for the schema under the subject, else the registry's (remembered, its id too).
     * Not computeIfAbsent: the registry call would hold a lock of the map for its whole round trip.
     */
    private <V> V remembered(Map<String, Map<Schema, V>> cache, String subject, Schema schema, Supplier<V> ask, ToIntFunction<V> idOf) {
        Map<Schema, V> answers = cache.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        V v = answers.get(schema);
        if (v == null) {
            v = ask.get();
            answers.put(schema, v);
            byId.putIfAbsent(idOf.applyAsInt(v), schema);
        }
        return v;
    }

    @Override
    public Schema schemaById(int id) {
        Schema s = byId.get(id);
        if (s == null) {
            s = delegate.schemaById(id);
            byId.put(id, s);
        }
        return s;
    }

    @Override
    public RegisteredSchema latest(String subject) {
        Timed t = latest.get(subject);
        long now = System.nanoTime();
        if (t == null || now - t.at() > latestTtlNanos) {
            RegisteredSchema r = delegate.latest(subject);
            byId.putIfAbsent(r.id(), r.schema());
            t = new Timed(r, now);
            latest.put(subject, t);
        }
        return t.value();
    }

    @Override
    public List<String> compatibilityProblems(String subject, Schema schema) {
        return delegate.compatibilityProblems(subject, schema);
    }

    @Override
    public void setCompatibility(String subject, CompatibilityLevel level) {
        delegate.setCompatibility(subject, level);
    }

    @Override
    public CompatibilityLevel compatibility(String subject) {
        return delegate.compatibility(subject);
    }

    @Override
    public String describe() {
        return delegate.describe();
    }
}
