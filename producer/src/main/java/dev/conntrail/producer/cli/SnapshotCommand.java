package dev.conntrail.producer.cli;

import dev.conntrail.cli.NotImplementedException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code conntrail snapshot}: The host's current TCP sockets in every network namespace, then exit (--nat: and NAT entries). */
@Command(name = "snapshot", mixinStandardHelpOptions = true, description = "The host's current TCP sockets in every network namespace, then exit (--nat: and NAT entries).")
public final class SnapshotCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new NotImplementedException("snapshot");
    }
}
