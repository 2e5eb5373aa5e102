package dev.conntrail.producer.cli;

import dev.conntrail.cli.NotImplementedException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code conntrail trace}: Kernel TCP events (connect, accept, close) as they happen; no Kafka. */
@Command(name = "trace", mixinStandardHelpOptions = true, description = "Kernel TCP events (connect, accept, close) as they happen; no Kafka.")
public final class TraceCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new NotImplementedException("trace");
    }
}
