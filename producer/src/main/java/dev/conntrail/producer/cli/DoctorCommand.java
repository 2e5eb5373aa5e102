package dev.conntrail.producer.cli;

import dev.conntrail.cli.OutputFormat;
import dev.conntrail.producer.doctor.Doctor;
import dev.conntrail.producer.doctor.Report;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code conntrail doctor}: what this host offers the agent, and which path each part of it would take. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"What this host offers the agent, and which path each part of it would take.",
            "Checks the kernel, BTF, libbpf, the capabilities the agent uses, the tracer (loaded, attached and fed one"
                    + " loopback connection, then closed, as the agent would), the BPF socket iterator, sock_diag,"
                    + " entering another network namespace, other users' /proc/PID/fd, and conntrack.",
            "Exit 0: the agent would run at full fidelity (tp_btf with cookies, snapshots with cookies in every"
                    + " namespace, conntrack NAT); 1: degraded, each degradation listed with its cost and fix;"
                    + " 2: bad usage."})
public final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
            description = "Output: ${COMPLETION-CANDIDATES} (json: one object). Default: ${DEFAULT-VALUE}.")
    OutputFormat format = OutputFormat.table;

    @Option(names = "--verbose", description = "The loaders' own log on stderr, their full error texts in the table,"
            + " and stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() {
        Runnable restore = logLevel("dev.conntrail", verbose ? "DEBUG" : "ERROR");
        Report report;
        try {
            report = Doctor.run();
        } finally {
            restore.run();
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(format == OutputFormat.json ? report.json() + "\n" : report.table(verbose));
        out.flush();
        return report.exitCode();
    }

    /**
     * Sets a logger's level while the probes run: the loaders log what the report says anyway (quiet unless
     * --verbose). Through reflection because logback is only the app's runtime binding; with any other binding
     * nothing changes. Returns what puts the old level back.
     */
    static Runnable logLevel(String name, String level) {
        Logger logger = LoggerFactory.getLogger(name);
        try {
            Class<?> levelClass = Class.forName("ch.qos.logback.classic.Level", false, logger.getClass().getClassLoader());
            Method get = logger.getClass().getMethod("getLevel");
            Method set = logger.getClass().getMethod("setLevel", levelClass);
            Object old = get.invoke(logger);
            set.invoke(logger, levelClass.getMethod("toLevel", String.class).invoke(null, level));
            return () -> {
                try {
                    set.invoke(logger, old);
                } catch (ReflectiveOperationException e) {
                    // leave it
                }
            };
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return () -> { };
        }
    }
}
