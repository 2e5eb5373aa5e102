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
    private final AtomicLong outageSince = new AtomicLong(-1);
    private final AtomicLong lastFailure = new AtomicLong(-1);
    private final AtomicReference<String> fatal = new AtomicReference<>();

    public RegistryOutageHandler(Duration giveUpAfter, Clock clock) {
        this.giveUpAfter = giveUpAfter;
        this.clock = clock;
    }

    @Override
    public StreamThreadExceptionResponse handle(Throwable exception) {
        long now = clock.millis();
        if (RegistryFailures.isUnreachable(exception)) {
            // a failure long after the previous one starts a new outage
            if (outageSince.get() < 0 || now - lastFailure.get() > giveUpAfter.toMillis()) outageSince.set(now);
            lastFailure.set(now);
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
