package dev.conntrail.app;

import dev.conntrail.cli.NotImplementedException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code conntrail table}: A live view of the connections topic of any cluster. */
@Command(name = "table", mixinStandardHelpOptions = true, description = "A live view of the connections topic of any cluster.")
public final class TableCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new NotImplementedException("table");
    }
}
