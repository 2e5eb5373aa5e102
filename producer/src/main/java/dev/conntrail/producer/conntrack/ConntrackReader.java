package dev.conntrail.producer.conntrack;

import dev.conntrail.producer.netlink.Netlink;
import dev.conntrail.producer.netlink.NetlinkException;
import dev.conntrail.producer.netlink.NetlinkParseException;
import dev.conntrail.producer.netlink.NetlinkSocket;
import dev.conntrail.producer.ns.NetNamespace;
import dev.conntrail.producer.ns.NetnsDiscovery;
import dev.conntrail.producer.ns.NetnsEnterer;
import dev.conntrail.producer.sys.LibC;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads conntrack over ctnetlink (NETLINK_NETFILTER): {@link #dump()} the NAT-translated TCP entries,
 * {@link #subscribe} to NEW/DESTROY events, in the root namespace (default) or every namespace.
 * ENOBUFS on an event socket (the kernel dropped events) is counted and answered with a fresh dump
 * of that namespace. Only TCP entries whose reply tuple is not the inverse of the original pass.
 * With {@link Scope#ALL} a watcher rediscovers namespaces every few seconds: a new one gets an event
 * reader and a first dump (handed over as {@link ConntrackListener#namespaceAdded}); a vanished one has its
 * reader closed, because our event socket would otherwise keep the dead namespace alive.
 * Needs CAP_NET_ADMIN (and CAP_SYS_ADMIN to enter other namespaces).
 */
public final class ConntrackReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConntrackReader.class);

    public enum Scope { ROOT, ALL }

    private volatile boolean warnedDenied;

    /** What the reader saw and lost; all monotonic. */
    public static final class Counters {
        public final AtomicLong dumps = new AtomicLong();
        public final AtomicLong events = new AtomicLong();
        public final AtomicLong natEvents = new AtomicLong();
        public final AtomicLong enobufs = new AtomicLong();
        public final AtomicLong malformed = new AtomicLong();
        public final AtomicLong namespacesFailed = new AtomicLong();
        /** Of those, refused for lack of permission (CAP_NET_ADMIN, or CAP_SYS_ADMIN to enter): entries missing. */
        public final AtomicLong namespacesDenied = new AtomicLong();
        /** Namespaces subscribed after start by the watcher, and readers closed because their namespace went. */
        public final AtomicLong namespacesAdded = new AtomicLong();
        public final AtomicLong namespacesReleased = new AtomicLong();

        @Override
        public String toString() {
            return "dumps=" + dumps + " events=" + events + " natEvents=" + natEvents + " enobufs=" + enobufs
                    + " malformed=" + malformed + " namespacesFailed=" + namespacesFailed + " namespacesDenied=" + namespacesDenied
                    + " namespacesAdded=" + namespacesAdded
                    + " namespacesReleased=" + namespacesReleased;
        }
    }

    private final Scope scope;
    private final NetnsDiscovery discovery;
    private final NetnsEnterer enterer = new NetnsEnterer();
    private final long ownNetns = NetnsDiscovery.currentNetns();
    private final Counters counters = new Counters();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    /** Namespaces with a running event reader → that reader's stop flag. */
    private final Map<Long, AtomicBoolean> readers = new ConcurrentHashMap<>();
    private volatile long rescanMillis = 5_000;
    private volatile Thread watcher;
    /** Namespaces the watcher could not enter: counted and logged once, not retried every rescan while they exist. */
    private final Set<Long> unenterable = new HashSet<>();
    private volatile boolean closed;
    private volatile long lastMalformedLog;

    public ConntrackReader(Scope scope) {
        this(scope, new NetnsDiscovery());
    }

    public ConntrackReader(Scope scope, NetnsDiscovery discovery) {
        this.scope = scope;
        this.discovery = discovery;
    }

    private int eventReceiveBuffer = 4 << 20;

    /** The event sockets' receive buffer (default 4 MiB; set before subscribe). Tests shrink it to provoke ENOBUFS. */
    void eventReceiveBuffer(int bytes) {
        this.eventReceiveBuffer = bytes;
    }

    public Counters counters() {
        return counters;
    }

    /** The namespaces this reader covers: the agent's own (root) one, or all of them. */
    public List<NetNamespace> namespaces() {
        List<NetNamespace> all = discovery.discover();
        if (scope == Scope.ALL) {
            return all;
        }
        return all.stream().filter(n -> n.inode() == ownNetns).toList();
    }

    /** A fresh dump of every covered namespace. A namespace that vanished meanwhile is skipped and counted. */
    public List<ConntrackEntry> dump() {
        List<ConntrackEntry> out = new ArrayList<>();
        for (NetNamespace ns : namespaces()) {
            try {
                out.addAll(dump(ns));
            } catch (NetnsEnterer.CannotEnter | NetlinkException e) {
                counters.namespacesFailed.incrementAndGet();
                if (denied(e)) {
                    counters.namespacesDenied.incrementAndGet();
                    if (!warnedDenied) {
                        warnedDenied = true; // once per reader: every later dump would repeat it
                        LOG.warn("conntrack of {} cannot be read ({}): its NAT entries are missing — grant {}", ns, e.getMessage(),
                                e instanceof NetnsEnterer.CannotEnter ? "CAP_SYS_ADMIN (entering namespaces)" : "CAP_NET_ADMIN");
                    }
                } else {
                    LOG.debug("conntrack dump of {} skipped: {}", ns, e.getMessage());
                }
            }
        }
        return out;
    }

    /** A refusal for lack of permission, as opposed to a namespace that went away. */
    private static boolean denied(RuntimeException e) {
        if (e instanceof NetnsEnterer.CannotEnter c) {
            return c.denied();
        }
        int errno = ((NetlinkException) e).errno();
        return errno == LibC.EPERM || errno == LibC.EACCES;
    }

    /** A fresh dump of one namespace. */
    public List<ConntrackEntry> dump(NetNamespace ns) {
        try (NetlinkSocket s = openIn(ns, 0)) {
            List<ConntrackEntry> out = new ArrayList<>();
            int seq = s.nextSeq();
            byte[] req = Netlink.request(CtNetlinkParser.dumpType(), Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP, seq,
                    CtNetlinkParser.dumpPayload());
            int bad = Netlink.dump(s, req, seq, m -> {
                ConntrackEntry e = parse(m.payload(), ns.inode());
                if (e != null && e.natTranslated()) {
                    out.add(e);
                }
            });
            malformed(bad);
            counters.dumps.incrementAndGet();
            return out;
        }
    }

    /** How often the {@link Scope#ALL} watcher looks for new and vanished namespaces (default 5 s; set before subscribe). */
    public void rescanMillis(long millis) {
        this.rescanMillis = millis;
    }

    /** Inodes of the namespaces that have an event reader now. */
    public Set<Long> subscribedNamespaces() {
        return Set.copyOf(readers.keySet());
    }

    /**
     * Starts one reader thread per covered namespace delivering NEW/DESTROY events of NAT-translated
     * TCP entries. Subscribe before the first dump so nothing falls between. With {@link Scope#ALL},
     * also starts the watcher for namespaces created or removed later.
     */
    public void subscribe(ConntrackListener listener) {
        for (NetNamespace ns : namespaces()) {
            startReader(ns, listener);
        }
        if (scope == Scope.ALL) {
            Thread w = new Thread(() -> watch(listener), "conntrack-netns-watch");
            w.setDaemon(true);
            watcher = w;
            threads.add(w);
            w.start();
        }
    }

    private boolean startReader(NetNamespace ns, ConntrackListener listener) {
        NetlinkSocket s;
        try {
            s = openIn(ns, CtNetlinkParser.GROUPS_NEW_DESTROY);
        } catch (NetnsEnterer.CannotEnter | NetlinkException e) {
            counters.namespacesFailed.incrementAndGet();
            unenterable.add(ns.inode());
            LOG.warn("conntrack events of {} not available: {}", ns, e.getMessage());
            return false;
        }
        s.receiveBuffer(eventReceiveBuffer);
        s.receiveTimeoutMillis(200);
        AtomicBoolean stop = new AtomicBoolean();
        readers.put(ns.inode(), stop);
        Thread t = new Thread(() -> {
            try {
                readEvents(ns, s, listener, stop);
            } finally {
                readers.remove(ns.inode(), stop);
                threads.remove(Thread.currentThread()); // a host's namespaces come and go: keep only live readers to join
            }
        }, "conntrack-events-" + ns.inode());
        t.setDaemon(true);
        threads.add(t);
        t.start();
        return true;
    }

    /** The {@link Scope#ALL} watcher: new namespaces get a reader and a first dump; vanished ones lose theirs. */
    private void watch(ConntrackListener listener) {
        while (!closed) {
            try {
                Thread.sleep(rescanMillis);
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            try {
                rescan(listener);
            } catch (RuntimeException e) {
                LOG.warn("conntrack namespace rescan failed (retried in {} ms): {}", rescanMillis, e.getMessage());
            }
        }
    }

    private void rescan(ConntrackListener listener) {
        List<NetNamespace> now = namespaces();
        Set<Long> present = new HashSet<>();
        for (NetNamespace ns : now) {
            present.add(ns.inode());
            if (readers.containsKey(ns.inode()) || unenterable.contains(ns.inode())) {
                continue;
            }
            // reader first, then the dump: an entry made in between is in one of them (or both: idempotent)
            if (startReader(ns, listener)) {
                counters.namespacesAdded.incrementAndGet();
                LOG.info("conntrack: new network namespace {}: events subscribed, taking its first dump", ns);
                try {
                    listener.namespaceAdded(ns.inode(), dump(ns));
                } catch (NetnsEnterer.CannotEnter | NetlinkException e) {
                    counters.namespacesFailed.incrementAndGet();
                    LOG.warn("conntrack first dump of new namespace {} failed: {}", ns, e.getMessage());
                }
            }
        }
        unenterable.retainAll(present);
        for (Map.Entry<Long, AtomicBoolean> r : readers.entrySet()) {
            if (!present.contains(r.getKey()) && r.getKey() != ownNetns) {
                r.getValue().set(true);
                readers.remove(r.getKey(), r.getValue()); // released once, even before its thread has noticed
                counters.namespacesReleased.incrementAndGet();
                LOG.info("conntrack: network namespace {} is gone: its event reader stops", r.getKey());
            }
        }
    }

    private void readEvents(NetNamespace ns, NetlinkSocket s, ConntrackListener listener,
            AtomicBoolean stop) {
        try (s) {
            while (!closed && !stop.get()) {
                ByteBuffer datagram;
                try {
                    datagram = s.receive();
                } catch (NetlinkException e) {
                    if (e.errno() == LibC.ENOBUFS) {
                        long n = counters.enobufs.incrementAndGet();
                        LOG.warn("conntrack events lost in {} (ENOBUFS, {} times so far): taking a fresh dump", ns, n);
                        try {
                            listener.resynced(ns.inode(), dump(ns));
                        } catch (RuntimeException ex) {
                            LOG.warn("conntrack resync dump of {} failed: {}", ns, ex.getMessage());
                        }
                        continue;
                    }
                    if (!closed) {
                        LOG.warn("conntrack event socket of {} failed: {}", ns, e.getMessage());
                    }
                    return;
                }
                if (datagram == null) {
                    continue;
                }
                try {
                    Netlink.forEach(datagram, m -> {
                        int type = CtNetlinkParser.ctType(m.type());
                        if (type != CtNetlinkParser.IPCTNL_MSG_CT_NEW && type != CtNetlinkParser.IPCTNL_MSG_CT_DELETE) {
                            return;
                        }
                        counters.events.incrementAndGet();
                        ConntrackEntry e = parse(m.payload(), ns.inode());
                        if (e == null || !e.natTranslated()) {
                            return;
                        }
                        counters.natEvents.incrementAndGet();
                        if (type == CtNetlinkParser.IPCTNL_MSG_CT_NEW) {
                            listener.created(e);
                        } else {
                            listener.destroyed(e);
                        }
                    });
                } catch (NetlinkParseException e) {
                    malformed(1);
                }
            }
        }
    }

    private ConntrackEntry parse(ByteBuffer payload, long netns) {
        try {
            return CtNetlinkParser.parse(payload, netns);
        } catch (NetlinkParseException e) {
            malformed(1);
            return null;
        }
    }

    private void malformed(int n) {
        if (n <= 0) {
            return;
        }
        counters.malformed.addAndGet(n);
        long now = System.currentTimeMillis();
        if (now - lastMalformedLog > 60_000) {
            lastMalformedLog = now;
            LOG.warn("skipped malformed conntrack messages ({} so far; logged at most once a minute)", counters.malformed.get());
        }
    }

    private NetlinkSocket openIn(NetNamespace ns, int groups) {
        Supplier<NetlinkSocket> open = () -> NetlinkSocket.open(LibC.NETLINK_NETFILTER, groups, 1 << 18);
        return ns.inode() == ownNetns ? open.get() : enterer.inside(ns, open);
    }

    @Override
    public void close() {
        closed = true;
        Thread w = watcher;
        if (w != null) {
            w.interrupt(); // it sleeps between rescans
        }
        for (Thread t : threads) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        enterer.close();
    }
}
