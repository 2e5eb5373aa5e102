package dev.conntrail.topology.errors;

import dev.conntrail.schemas.registry.RegistryAuthException;
import dev.conntrail.schemas.registry.RegistryGaveUpException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a stream thread that died means for the application.
 * <ul>
 *   <li>The registry client gave up ({@link RegistryGaveUpException}: the stream thread already waited
 *       and retried in place for {@code --registry-timeout}): the client shuts down and
 *       {@link #fatalError()} says what to check.</li>
 *   <li>Another registry failure (one the client does not wait out, or serdes without the retrying
 *       client): the thread is replaced (it resumes from the last commit, so the record is retried,
 *       never lost nor dead-lettered) until the outage has lasted {@code giveUpAfter}; then the
 *       client shuts down.</li>
 *   <li>The broker refused a record of the sink as too large ({@link SinkLimit}, lowered by
 *       {@link DeadLetterProductionHandler}): the transaction could not commit; the thread is
 *       replaced and its task processes its input again, now dead-lettering what does not fit. At
 *       most {@link #SINK_REPLACEMENTS} times in {@link #SINK_REPLACEMENT_WINDOW}.</li>
 *   <li>Anything else shuts the client down at once.</li>
 * </ul>
 */
public final class RegistryOutageHandler implements StreamsUncaughtExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(RegistryOutageHandler.class);
    static final int SINK_REPLACEMENTS = 5;
    static final Duration SINK_REPLACEMENT_WINDOW = Duration.ofMinutes(10);
    /** A thread that dies this soon after a refusal died of it (its commit came after the refusal). */
    private static final long REFUSAL_RECENT_MS = 60_000;
    private final Duration giveUpAfter;
    private final Clock clock;
    private final LongSupplier progress;
    private final SinkLimit sinkLimit;
    private final AtomicLong outageSince = new AtomicLong(-1);
    private final AtomicLong progressAtFailure = new AtomicLong(-1);
    private final AtomicReference<String> fatal = new AtomicReference<>();
    private final Deque<Long> sinkReplacements = new ArrayDeque<>();

    /**
     * @param progress records processed so far: an outage lasts from its first failure until a
     *                 record is processed again (a replaced thread may need a session timeout to
     *                 get its tasks back, so the time between failures says nothing)
     */
    public RegistryOutageHandler(Duration giveUpAfter, Clock clock, LongSupplier progress) {
        this(giveUpAfter, clock, progress, SinkLimit.unlimited());
    }

    public RegistryOutageHandler(Duration giveUpAfter, Clock clock, LongSupplier progress, SinkLimit sinkLimit) {
        this.giveUpAfter = giveUpAfter;
        this.clock = clock;
        this.progress = progress;
        this.sinkLimit = sinkLimit;
    }

    @Override
    public StreamThreadExceptionResponse handle(Throwable exception) {
        long now = clock.millis();
        RegistryGaveUpException gaveUp = RegistryFailures.find(exception, RegistryGaveUpException.class);
        if (gaveUp != null) {
            fatal.set("the schema registry has been unreachable or failing for " + gaveUp.failingFor().toSeconds() + " s (last answer: "
                    + gaveUp.last().getMessage() + "): check --schema-registry-url"
                    + (gaveUp.last() instanceof RegistryAuthException ? ", the registry credentials (basic.auth.*)" : "")
                    + " and that the registry is up, then start the topology again");
        } else if (RegistryFailures.isRegistryFailure(exception)) {
            long processed = progress.getAsLong();
            if (outageSince.get() < 0 || processed != progressAtFailure.get()) outageSince.set(now); // records got through since
            progressAtFailure.set(processed);
            long lasted = now - outageSince.get();
            if (lasted < giveUpAfter.toMillis()) {
                log.warn("schema registry failing for {} s; replacing the stream thread (gives up after {} s)", lasted / 1000,
                        giveUpAfter.toSeconds());
                sleepQuietly(Math.min(2000, Math.max(200, lasted / 4)));
                return StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            fatal.set("the schema registry has been unreachable for " + giveUpAfter.toSeconds()
                    + " s: check --schema-registry-url and that the registry is up, then start the topology again");
        } else if (sinkRefusedRecently(now)) {
            log.warn("the stream thread stopped after the broker refused a record as too large ({}); replacing it: its input is processed "
                    + "again and what does not fit is dead-lettered", exception.toString());
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        } else {
            fatal.set("the topology stopped: " + exception);
        }
        log.error("{}", fatal.get(), exception);
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }

    /**
     * How long the registry outage in progress has lasted, in milliseconds: from its first failure, while no record
     * was processed since the last one; -1 when there is none.
     */
    public long outageMillis() {
        long since = outageSince.get();
        if (since < 0 || progress.getAsLong() != progressAtFailure.get()) {
            return -1;
        }
        return Math.max(0, clock.millis() - since);
    }

    private synchronized boolean sinkRefusedRecently(long now) {
        long refused = sinkLimit.refusedAtMillis();
        if (refused < 0 || now - refused > REFUSAL_RECENT_MS) return false;
        while (!sinkReplacements.isEmpty() && now - sinkReplacements.peekFirst() > SINK_REPLACEMENT_WINDOW.toMillis()) {
            sinkReplacements.pollFirst();
        }
        if (sinkReplacements.size() >= SINK_REPLACEMENTS) return false;
        sinkReplacements.addLast(now);
        return true;
    }

    /** Why the client shut itself down; null while it has not. */
    public String fatalError() {
        return fatal.get();
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
