package dev.conntrail.producer.conntrack;

import java.util.List;

/** Receives NAT conntrack events from {@link ConntrackReader#subscribe}. Called on the reader's threads. */
public interface ConntrackListener {
    /** A NAT-translated TCP entry appeared. */
    void created(ConntrackEntry entry);

    /** A NAT-translated TCP entry was destroyed. */
    void destroyed(ConntrackEntry entry);

    /**
     * Events of {@code netns} were lost (ENOBUFS); {@code freshDump} is that namespace's full set of
     * NAT entries now: tombstone what it no longer holds.
     */
    void resynced(long netns, List<ConntrackEntry> freshDump);

    /**
     * A namespace appeared after subscribe ({@code --conntrack-netns all}): its events are now
     * subscribed and {@code firstDump} is its NAT entries at that moment. Nothing was lost, so by
     * default it is handled like a resync without the loss.
     */
    default void namespaceAdded(long netns, List<ConntrackEntry> firstDump) {
        resynced(netns, firstDump);
    }
}
