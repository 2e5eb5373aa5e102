package dev.conntrail.producer.privilege;

import dev.conntrail.cli.Cli;
import dev.conntrail.producer.cli.DoctorCommand;
import dev.conntrail.producer.cli.SnapshotCommand;
import dev.conntrail.producer.cli.TraceCommand;
import java.util.Arrays;

/** Runs one producer command in a JVM of its own (started as another uid by LeastPrivilegeKernelTest). */
public final class CommandProbe {
    public static void main(String[] args) {
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        Object command = switch (args[0]) {
            case "snapshot" -> new SnapshotCommand();
            case "trace" -> new TraceCommand();
            case "doctor" -> new DoctorCommand();
            default -> throw new IllegalArgumentException(args[0]);
        };
        System.exit(Cli.commandLine(command).execute(rest));
    }
}
