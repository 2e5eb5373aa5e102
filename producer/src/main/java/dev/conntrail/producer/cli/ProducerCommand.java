package dev.conntrail.producer.cli;

import dev.conntrail.cli.NotImplementedException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code conntrail producer}: The per-host agent: eBPF events, snapshots and conntrack NAT entries to Kafka. */
@Command(name = "producer", mixinStandardHelpOptions = true, description = "The per-host agent: eBPF events, snapshots and conntrack NAT entries to Kafka.")
public final class ProducerCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new NotImplementedException("producer");
    }
}
