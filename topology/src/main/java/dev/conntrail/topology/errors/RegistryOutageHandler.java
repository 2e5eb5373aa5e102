package dev.conntrail.topology.errors;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stream thread that died because the registry was unreachable is replaced (it resumes from the
 * last commit, so the record is retried, never lost nor dead-lettered) until the outage has lasted
 * {@code giveUpAfter}; then the client shuts down and {@link #fatalError()} says why. Any other
 * uncaught error shuts the client down at once.
 */
public final class RegistryOutageHandler implements StreamsUncaughtExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(RegistryOutageHandler.class);
    private final Duration giveUpAfter;
    private final Clock clock;
    private final java.util.function.LongSupplier progress;
    private final AtomicLong outageSince = new AtomicLong(-1);
    private final AtomicLong progressAtFailure = new AtomicLong(-1);
    private final AtomicReference<String> fatal = new AtomicReference<>();

    /**
     * @param progress records processed so far: an outage lasts from its first failure until a
     *                 record is processed again (a replaced thread may need a session timeout to
     *                 get its tasks back, so the time between failures says nothing)
     */
    public RegistryOutageHandler(Duration giveUpAfter, Clock clock, java.util.function.LongSupplier progress) {
        this.giveUpAfter = giveUpAfter;
        this.clock = clock;
        this.progress = progress;
    }

    @Override
    public StreamThreadExceptionResponse handle(Throwable exception) {
        long now = clock.millis();
        if (RegistryFailures.isUnreachable(exception)) {
            long processed = progress.getAsLong();
            if (outageSince.get() < 0 || processed != progressAtFailure.get()) outageSince.set(now); // records got through since
            progressAtFailure.set(processed);
            long lasted = now - outageSince.get();
            if (lasted < giveUpAfter.toMillis()) {
                log.warn("schema registry unreachable for {} s; retrying (gives up after {} s)", lasted / 1000, giveUpAfter.toSeconds());
                sleepQuietly(Math.min(2000, Math.max(200, lasted / 4)));
                return StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            fatal.set("the schema registry has been unreachable for " + giveUpAfter.toSeconds()
                    + " s: check --schema-registry-url and that the registry is up, then start the topology again");
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
