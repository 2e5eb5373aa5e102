package dev.conntrail.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;

/**
 * Runs a picocli command the conntrail way: environment defaults, exit codes 0 done / 1 runtime
 * failure / 2 bad usage, and errors as one line on stderr (the stack trace only with --verbose).
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
        cl.setExitCodeExceptionMapper(t -> t instanceof CommandLine.ParameterException ? USAGE : FAILURE);
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("conntrail: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = Arrays.asList(parseResult.originalArgs().toArray(new String[0])).contains("--verbose");
            PrintWriter err = commandLine.getErr();
            err.println("conntrail " + commandLine.getCommandName() + ": " + oneLine(ex));
            if (verbose) {
                ex.printStackTrace(err);
            } else if (!(ex instanceof UserFacingException) && !(ex instanceof NotImplementedException)) {
                err.println("(run with --verbose for the stack trace)");
            }
            err.flush();
            return FAILURE;
        });
        return cl;
    }

    /** The message of the deepest cause that has one, or the exception's class name. */
    public static String oneLine(Throwable t) {
        if (t instanceof UserFacingException || t instanceof NotImplementedException) {
            return t.getMessage();
        }
        Throwable best = t;
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getMessage() != null) {
                best = c;
            }
            if (c instanceof UserFacingException) {
                return c.getMessage();
            }
        }
        String msg = best.getMessage();
        return msg == null ? best.getClass().getSimpleName() : msg.replace('\n', ' ');
    }
}
