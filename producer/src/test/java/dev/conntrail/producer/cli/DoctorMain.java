package dev.conntrail.producer.cli;

import dev.conntrail.cli.Cli;

/** {@code conntrail doctor} in a child JVM of {@link DoctorCommandKernelTest} (another uid, fewer capabilities). */
public final class DoctorMain {
    private DoctorMain() {
    }

    public static void main(String[] args) {
        System.exit(Cli.commandLine(new DoctorCommand()).execute(args));
    }
}
