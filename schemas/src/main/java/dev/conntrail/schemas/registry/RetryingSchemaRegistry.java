package dev.conntrail.schemas.registry;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SchemaRegistryClient} that waits out registry failures that say nothing about the data:
 * the calling thread retries with a bounded backoff (first {@link Policy#firstBackoff}, doubling up
 * to {@link Policy#maxBackoff}) until the call succeeds or has failed for {@link Policy#giveUpAfter},
 * then throws {@link RegistryGaveUpException}. Retried:
 * <ul>
 *   <li>the registry unreachable, or 5xx from every URL ({@link RegistryUnavailableException});</li>
 *   <li>429 (too many requests) and 408 (request timeout);</li>
 *   <li>401 and 403 ({@link RegistryAuthException}): the record is fine, the registry refuses us;
 *       a credential rotated on one side or a restarting auth backend answers so for a while;</li>
 *   <li>404 for a schema id ({@link UnknownSchemaIdException}), but only for {@link Policy#unknownIdGrace}:
 *       a registry replica that lags its primary does not know a new id yet. After that the id is
 *       taken as unknown (permanent: the record names a schema that does not exist), and later
 *       records naming that id get one attempt without waiting.</li>
 * </ul>
 * Everything else (409 incompatible, 404 subject, 422, an answer that is not JSON) is thrown at once.
 * Wrap it in a {@link CachedSchemaRegistry}: answers that succeeded are then never asked again.
 * {@link #abandon()} makes waiting calls give up at once (a program that is stopping).
 */
public final class RetryingSchemaRegistry implements SchemaRegistryClient {
    private static final Logger LOG = LoggerFactory.getLogger(RetryingSchemaRegistry.class);
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;
    private static final int UNKNOWN_IDS_KEPT = 10_000;

    /**
     * @param giveUpAfter    how long a call may keep failing (the registry down, refusing, throttling)
     * @param unknownIdGrace how long a 404 for a schema id is retried before the id is taken as unknown
     * @param firstBackoff   the first wait between attempts; it doubles up to {@code maxBackoff}
     */
    public record Policy(Duration giveUpAfter, Duration unknownIdGrace, Duration firstBackoff, Duration maxBackoff) {
        public static final Duration DEFAULT_GIVE_UP = Duration.ofMinutes(2);
        public static final Duration DEFAULT_UNKNOWN_ID_GRACE = Duration.ofSeconds(5);

        public static Policy defaults() {
            return of(DEFAULT_GIVE_UP, DEFAULT_UNKNOWN_ID_GRACE);
        }

        public static Policy of(Duration giveUpAfter, Duration unknownIdGrace) {
            return new Policy(giveUpAfter, unknownIdGrace, Duration.ofMillis(100), Duration.ofSeconds(2));
        }
    }

    /** Told about every failed attempt that will be retried (metrics). */
    @FunctionalInterface
    public interface Listener {
        void retrying(String call, RegistryException failure, Duration failingFor);
    }

    /** Waits; a test's fake clock may advance instead. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    private final SchemaRegistryClient delegate;
    private final Policy policy;
    private final Listener listener;
    private final LongSupplier nanoClock;
    private final Sleeper sleeper;
    private volatile boolean abandoned;
    /** When each call now failing and being retried first failed (nanoClock), by calling thread. */
    private final Map<Thread, Long> failingSince = new java.util.concurrent.ConcurrentHashMap<>();
    /** Ids already retried for the whole grace (insertion order: the oldest is forgotten first). */
    private final Map<Integer, Boolean> unknownIds = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Boolean> eldest) {
            return size() > UNKNOWN_IDS_KEPT;
        }
    };

    public RetryingSchemaRegistry(SchemaRegistryClient delegate, Policy policy, Listener listener) {
        this(delegate, policy, listener, System::nanoTime, Thread::sleep);
    }

    public RetryingSchemaRegistry(SchemaRegistryClient delegate, Policy policy, Listener listener, LongSupplier nanoClock, Sleeper sleeper) {
        this.delegate = delegate;
        this.policy = policy;
        this.listener = listener == null ? (c, f, d) -> { } : listener;
        this.nanoClock = nanoClock;
        this.sleeper = sleeper;
    }

    public SchemaRegistryClient delegate() {
        return delegate;
    }

    public Policy policy() {
        return policy;
    }

    /**
     * How long the call that has been failing longest is failing now, in milliseconds; -1 when no call
     * is failing (for health reporting: a thread waiting for the registry processes nothing).
     */
    public long failingForMillis() {
        long now = nanoClock.getAsLong();
        long longest = -1;
        for (long since : failingSince.values()) longest = Math.max(longest, (now - since) / 1_000_000);
        return longest;
    }

    /** From now on, calls that fail give up at once, and calls waiting stop waiting (within 100 ms). */
    public void abandon() {
        abandoned = true;
    }

    @Override
    public Schema schemaById(int id) {
        boolean knownUnknown;
        synchronized (unknownIds) {
            knownUnknown = unknownIds.containsKey(id);
        }
        return call("GET schema id " + id, () -> delegate.schemaById(id), id, knownUnknown);
    }

    @Override
    public int register(String subject, Schema schema) {
        return call("POST " + subject, () -> delegate.register(subject, schema), null, false);
    }

    @Override
    public RegisteredSchema lookup(String subject, Schema schema) {
        return call("POST lookup " + subject, () -> delegate.lookup(subject, schema), null, false);
    }

    @Override
    public RegisteredSchema latest(String subject) {
        return call("GET latest " + subject, () -> delegate.latest(subject), null, false);
    }

    @Override
    public List<String> compatibilityProblems(String subject, Schema schema) {
        return call("POST compatibility " + subject, () -> delegate.compatibilityProblems(subject, schema), null, false);
    }

    @Override
    public void setCompatibility(String subject, CompatibilityLevel level) {
        call("PUT config " + subject, () -> {
            delegate.setCompatibility(subject, level);
            return null;
        }, null, false);
    }

    @Override
    public CompatibilityLevel compatibility(String subject) {
        return call("GET config " + subject, () -> delegate.compatibility(subject), null, false);
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    /** Whether the registry's answer says nothing about the data, so asking again may succeed. */
    static boolean retriable(RegistryException e) {
        return e.isTransient() || e instanceof RegistryAuthException;
    }

    private <T> T call(String what, Supplier<T> attempt, Integer schemaId, boolean knownUnknown) {
        try {
            return retried(what, attempt, schemaId, knownUnknown);
        } finally {
            failingSince.remove(Thread.currentThread());
        }
    }

    private <T> T retried(String what, Supplier<T> attempt, Integer schemaId, boolean knownUnknown) {
        long start = 0;
        long unknownSince = 0;
        long nextLog = 0;
        long backoff = policy.firstBackoff().toMillis();
        int failures = 0;
        while (true) {
            try {
                T result = attempt.get();
                if (failures > 0) {
                    LOG.info("schema registry at {} answered {} again after {} failed attempts in {} ms", delegate.describe(), what,
                            failures, (nanoClock.getAsLong() - start) / 1_000_000);
                }
                return result;
            } catch (RegistryException e) {
                long now = nanoClock.getAsLong();
                if (failures++ == 0) {
                    start = now;
                    failingSince.put(Thread.currentThread(), now);
                }
                Duration failing = Duration.ofNanos(now - start);
                if (e instanceof UnknownSchemaIdException) {
                    if (unknownSince == 0) unknownSince = now;
                    if (abandoned && !knownUnknown && now - unknownSince < policy.unknownIdGrace().toNanos()) {
                        throw new RegistryGaveUpException(what + " (stopping)", failing, e); // not judged yet: never "unknown"
                    }
                    if (knownUnknown || now - unknownSince >= policy.unknownIdGrace().toNanos()) {
                        if (!knownUnknown && schemaId != null) {
                            synchronized (unknownIds) {
                                unknownIds.put(schemaId, Boolean.TRUE);
                            }
                            LOG.warn("schema registry at {} does not know schema id {} after {} ms of retries: records naming it "
                                    + "cannot be decoded", delegate.describe(), schemaId, (now - unknownSince) / 1_000_000);
                        }
                        throw e;
                    }
                } else if (!retriable(e)) {
                    throw e;
                } else if (abandoned || failing.compareTo(policy.giveUpAfter()) >= 0) {
                    LOG.error("schema registry at {} failed {} for {} s: giving up ({})", delegate.describe(), what, failing.toSeconds(),
                            e.getMessage());
                    throw new RegistryGaveUpException(what, failing, e);
                }
                listener.retrying(what, e, failing);
                if (now >= nextLog) {
                    LOG.warn("schema registry at {} failed {} ({}); retrying for up to {} s", delegate.describe(), what, e.getMessage(),
                            e instanceof UnknownSchemaIdException ? policy.unknownIdGrace().toSeconds() : policy.giveUpAfter().toSeconds());
                    nextLog = now + LOG_EVERY_NANOS;
                }
                pause(backoff, what, e, failing);
                backoff = Math.min(backoff * 2, policy.maxBackoff().toMillis());
            }
        }
    }

    private void pause(long millis, String what, RegistryException last, Duration failing) {
        try {
            for (long left = millis; left > 0 && !abandoned; left -= 100) {
                sleeper.sleep(Math.min(100, left));
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new RegistryGaveUpException(what + " (interrupted)", failing, last);
        }
    }
}
