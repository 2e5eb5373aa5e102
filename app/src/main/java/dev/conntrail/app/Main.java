package dev.conntrail.app;

import dev.conntrail.cli.Cli;
import dev.conntrail.producer.cli.DoctorCommand;
import dev.conntrail.producer.cli.ProducerCommand;
import dev.conntrail.producer.cli.SnapshotCommand;
import dev.conntrail.producer.cli.TraceCommand;
import dev.conntrail.topology.cli.TopologyCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code conntrail COMMAND [options]}: the one entry point (see docs/design.md, "Commands"). */
@Command(name = "conntrail", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Every TCP connection of a fleet: eBPF on each host, Kafka in the middle, one live table.",
        subcommands = {LocalCommand.class, TraceCommand.class, SnapshotCommand.class, ProducerCommand.class,
                TopologyCommand.class, TableCommand.class, DoctorCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Every option can also come from the environment: --bootstrap-servers reads CONNTRAIL_BOOTSTRAP_SERVERS.",
                "Exit codes: 0 done, 1 runtime failure, 2 bad usage."})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        return Cli.commandLine(new Main()).execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"conntrail " + (v == null ? "development build" : v)};
        }
    }
}
