package dev.conntrail.app;

import dev.conntrail.cli.NotImplementedException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code conntrail local}: Everything on this host: embedded KRaft broker, producer, topology, live table. */
@Command(name = "local", mixinStandardHelpOptions = true, description = "Everything on this host: embedded KRaft broker, producer, topology, live table.")
public final class LocalCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new NotImplementedException("local");
    }
}
