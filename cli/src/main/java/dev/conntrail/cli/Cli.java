package dev.conntrail.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Runs a picocli command the conntrail way: environment defaults, exit codes 0 done / 1 runtime
 * failure / 2 bad usage, and errors as one line on stderr (the stack trace only with --verbose), secrets hidden
 * ({@link Redaction}) and control characters escaped ({@link TerminalText}); {@code --verbose} also turns on
 * conntrail's debug logging.
 */
public final class Cli {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;

    private Cli() {
    }

    public static CommandLine commandLine(Object command) {
        CommandLine cl = new CommandLine(command);
        cl.setDefaultValueProvider(new EnvironmentDefaults());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExitCodeExceptionMapper(t -> t instanceof CommandLine.ParameterException || t instanceof UsageException ? USAGE : FAILURE);
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("conntrail: " + safe(ex.getMessage()));
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return USAGE;
        });
        cl.setExecutionStrategy(parseResult -> {
            if (verbose(parseResult)) {
                debugLogging();
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            err.println("conntrail " + commandLine.getCommandName() + ": " + oneLine(ex));
            if (verbose(parseResult)) {
                StringWriter trace = new StringWriter();
                ex.printStackTrace(new PrintWriter(trace));
                err.print(TerminalText.lines(Redaction.redact(trace.toString())));
            } else if (!(ex instanceof UserFacingException) && !(ex instanceof NotImplementedException)) {
                err.println("(run with --verbose for the stack trace)");
            }
            err.flush();
            return ex instanceof UsageException ? USAGE : FAILURE;
        });
        return cl;
    }

    /** True when the command that runs was given {@code --verbose} (on the command line or from the environment). */
    static boolean verbose(CommandLine.ParseResult parseResult) {
        CommandLine.ParseResult last = parseResult;
        while (last.subcommand() != null) {
            last = last.subcommand();
        }
        CommandLine.Model.OptionSpec option = last.commandSpec().findOption("--verbose");
        return option != null && Boolean.TRUE.equals(option.getValue());
    }

    /** {@code --verbose}: conntrail's own loggers at DEBUG (Kafka's keep their level). */
    static void debugLogging() {
        if (LoggerFactory.getLogger("dev.conntrail") instanceof ch.qos.logback.classic.Logger logger) {
            logger.setLevel(ch.qos.logback.classic.Level.DEBUG);
        }
    }

    /** A message for the terminal: secrets hidden, one line, nothing a terminal would act on. */
    public static String safe(String message) {
        return message == null ? null : TerminalText.line(Redaction.redact(message));
    }

    /** The message of the deepest cause that has one, or the exception's class name; safe to print ({@link #safe}). */
    public static String oneLine(Throwable t) {
        if (t instanceof UserFacingException || t instanceof NotImplementedException) {
            return safe(t.getMessage());
        }
        Throwable best = t;
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getMessage() != null) {
                best = c;
            }
            if (c instanceof UserFacingException) {
                return safe(c.getMessage());
            }
        }
        String msg = best.getMessage();
        return msg == null ? best.getClass().getSimpleName() : safe(msg.replace('\n', ' '));
    }
}
