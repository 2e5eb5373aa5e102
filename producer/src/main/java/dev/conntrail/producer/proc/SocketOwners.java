package dev.conntrail.producer.proc;

import dev.conntrail.producer.snapshot.Owner;
import it.unimi.dsi.fastutil.longs.Long2ObjectOpenHashMap;
import java.util.ArrayList;
import java.util.List;

/**
 * Socket inode → the processes holding it, from one walk of {@code /proc/*}{@code /fd}. Socket
 * inodes are unique host-wide (sockfs), so one host-wide map answers "inodes not found among a
 * namespace's own processes": an fd passed to a process of another namespace is found as well.
 */
public final class SocketOwners {
    private final Long2ObjectOpenHashMap<Object> byInode; // Owner, or List<Owner> when shared
    private final int processes;
    private final long fds;

    SocketOwners(Long2ObjectOpenHashMap<Object> byInode, int processes, long fds) {
        this.byInode = byInode;
        this.processes = processes;
        this.fds = fds;
    }

    /** Collects holders from another source (the BPF iterator); add in ascending pid order per inode where possible. */
    public static final class Builder {
        private final Long2ObjectOpenHashMap<Object> map = new Long2ObjectOpenHashMap<>(1 << 14);
        private final java.util.Set<Integer> pids = new java.util.HashSet<>();
        private long fds;
        private int lastPid = -1;

        public Builder add(long inode, Owner owner) {
            fds++;
            if (owner.pid() != lastPid) { // sources add process by process: skip boxing most repeats
                lastPid = owner.pid();
                pids.add(lastPid);
            }
            SocketOwners.add(map, inode, owner);
            return this;
        }

        public SocketOwners build() {
            return new SocketOwners(map, pids.size(), fds);
        }
    }

    public static SocketOwners empty() {
        return new SocketOwners(new Long2ObjectOpenHashMap<>(16), 0, 0);
    }

    /** How many processes hold {@code inode}. */
    @SuppressWarnings("unchecked")
    public int count(long inode) {
        Object o = byInode.get(inode);
        return o == null ? 0 : o instanceof Owner ? 1 : ((List<Owner>) o).size();
    }

    /** The only holder of {@code inode}, or null when none or several hold it (no list is made). */
    public Owner single(long inode) {
        return byInode.get(inode) instanceof Owner o ? o : null;
    }

    /** The holders of {@code inode}, lowest pid first; empty when none. */
    @SuppressWarnings("unchecked")
    public List<Owner> owners(long inode) {
        Object o = byInode.get(inode);
        if (o == null) {
            return List.of();
        }
        if (o instanceof Owner single) {
            return List.of(single);
        }
        return (List<Owner>) o;
    }

    public int processes() {
        return processes;
    }

    public long fds() {
        return fds;
    }

    public int size() {
        return byInode.size();
    }

    /** Adds {@code owner} as a holder of {@code inode} (once per process; walk pids in ascending order). */
    @SuppressWarnings("unchecked")
    static void add(Long2ObjectOpenHashMap<Object> map, long inode, Owner owner) {
        Object o = map.get(inode);
        if (o == null) {
            map.put(inode, owner);
        } else if (o instanceof Owner single) {
            if (single.pid() != owner.pid()) {
                List<Owner> l = new ArrayList<>(2);
                l.add(single.pid() < owner.pid() ? single : owner);
                l.add(single.pid() < owner.pid() ? owner : single);
                map.put(inode, l);
            }
        } else {
            List<Owner> l = (List<Owner>) o;
            for (Owner x : l) {
                if (x.pid() == owner.pid()) {
                    return;
                }
            }
            l.add(owner);
            l.sort(java.util.Comparator.comparingInt(Owner::pid));
        }
    }
}
