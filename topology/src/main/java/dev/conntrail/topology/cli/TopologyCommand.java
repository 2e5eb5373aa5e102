package dev.conntrail.topology.cli;

import dev.conntrail.cli.NotImplementedException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code conntrail topology}: The Kafka Streams application that keeps the compacted connections table. */
@Command(name = "topology", mixinStandardHelpOptions = true, description = "The Kafka Streams application that keeps the compacted connections table.")
public final class TopologyCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new NotImplementedException("topology");
    }
}
