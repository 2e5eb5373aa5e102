package dev.conntrail.producer.snapshot;

import java.util.List;

/**
 * The host's TCP sockets at one moment: connected ones (rule-2 states) and, separately, listeners.
 * {@code takenAtMicros} is the wall-clock time the walk started; {@code withCookies} tells whether
 * every entry carries the kernel cookie (sock_diag, iterator) or none does (/proc).
 */
public record Snapshot(List<SocketEntry> sockets, List<Listener> listeners, boolean withCookies,
                       long takenAtMicros, SnapshotStats stats) {
}
