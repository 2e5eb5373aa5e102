package dev.conntrail.app;

import dev.conntrail.avro.Connection;
import dev.conntrail.cli.UsageException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The rows {@code conntrail table} shows: every {@code --filter FIELD=VALUE} must hold (host, comm, pid, netns,
 * state, port — local or remote, container — the id or its first digits, as {@code docker ps} shows 12), and in local mode the rows of conntrail's own process are hidden unless asked for.
 */
final class RowFilter implements Predicate<Connection> {
    static final List<String> FIELDS = List.of("host", "comm", "pid", "netns", "state", "port", "container");

    private final Predicate<Connection> test;

    private RowFilter(Predicate<Connection> test) {
        this.test = test;
    }

    static RowFilter all() {
        return new RowFilter(c -> true);
    }

    /** Every {@code FIELD=VALUE}; a bad one is a usage error naming the fields there are. */
    static RowFilter of(List<String> filters) {
        Predicate<Connection> p = c -> true;
        for (String f : filters) {
            p = p.and(one(f));
        }
        return new RowFilter(p);
    }

    /** Also hides the rows of process {@code pid} (conntrail's own, in local mode). */
    RowFilter hidingPid(long pid) {
        return new RowFilter(test.and(c -> c.getPid() == null || c.getPid() != pid));
    }

    @Override
    public boolean test(Connection c) {
        return test.test(c);
    }

    private static Predicate<Connection> one(String filter) {
        int eq = filter.indexOf('=');
        String field = eq < 0 ? "" : filter.substring(0, eq).trim().toLowerCase(Locale.ROOT);
        String value = eq < 0 ? "" : filter.substring(eq + 1).trim();
        if (eq < 0 || !FIELDS.contains(field) || value.isEmpty()) {
            throw new UsageException("--filter " + filter + ": want FIELD=VALUE with FIELD one of " + String.join(", ", FIELDS));
        }
        return switch (field) {
            case "host" -> c -> value.equals(c.getHost());
            case "comm" -> c -> value.equals(c.getComm());
            case "container" -> c -> c.getContainer() != null && c.getContainer().startsWith(value);
            case "state" -> {
                String state = value.toUpperCase(Locale.ROOT);
                if (!state.equals("OPEN") && !state.equals("CLOSED")) {
                    throw new UsageException("--filter " + filter + ": state is OPEN or CLOSED");
                }
                yield c -> state.equals(String.valueOf(c.getState()));
            }
            case "pid" -> {
                long pid = number(filter, value);
                yield c -> c.getPid() != null && c.getPid() == pid;
            }
            case "netns" -> {
                long netns = number(filter, value);
                yield c -> c.getNetns() != null && c.getNetns() == netns;
            }
            default -> {
                long port = number(filter, value);
                yield c -> Objects.equals(c.getLport(), (int) port) || Objects.equals(c.getRport(), (int) port);
            }
        };
    }

    private static long number(String filter, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new UsageException("--filter " + filter + ": " + value + " is not a number");
        }
    }
}
