package dev.conntrail.producer.conntrack;

import dev.conntrail.producer.netlink.LibC;
import dev.conntrail.producer.netlink.Netlink;
import dev.conntrail.producer.netlink.NetlinkException;
import dev.conntrail.producer.netlink.NetlinkParseException;
import dev.conntrail.producer.netlink.NetlinkSocket;
import dev.conntrail.producer.ns.NetNamespace;
import dev.conntrail.producer.ns.NetnsDiscovery;
import dev.conntrail.producer.ns.NetnsEnterer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads conntrack over ctnetlink (NETLINK_NETFILTER): {@link #dump()} the NAT-translated TCP entries,
 * {@link #subscribe} to NEW/DESTROY events, in the root namespace (default) or every namespace.
 * ENOBUFS on an event socket (the kernel dropped events) is counted and answered with a fresh dump
 * of that namespace. Only TCP entries whose reply tuple is not the inverse of the original pass.
 * Needs CAP_NET_ADMIN (and CAP_SYS_ADMIN to enter other namespaces).
 */
public final class ConntrackReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConntrackReader.class);

    public enum Scope { ROOT, ALL }

    /** What the reader saw and lost; all monotonic. */
    public static final class Counters {
        public final AtomicLong dumps = new AtomicLong();
        public final AtomicLong events = new AtomicLong();
        public final AtomicLong natEvents = new AtomicLong();
        public final AtomicLong enobufs = new AtomicLong();
        public final AtomicLong malformed = new AtomicLong();
        public final AtomicLong namespacesFailed = new AtomicLong();

        @Override
        public String toString() {
            return "dumps=" + dumps + " events=" + events + " natEvents=" + natEvents + " enobufs=" + enobufs
                    + " malformed=" + malformed + " namespacesFailed=" + namespacesFailed;
        }
    }

    private final Scope scope;
    private final NetnsDiscovery discovery;
    private final NetnsEnterer enterer = new NetnsEnterer();
    private final long ownNetns = NetnsDiscovery.currentNetns();
    private final Counters counters = new Counters();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
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
                LOG.debug("conntrack dump of {} skipped: {}", ns, e.getMessage());
            }
        }
        return out;
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

    /**
     * Starts one reader thread per covered namespace (those present now) delivering NEW/DESTROY
     * events of NAT-translated TCP entries. Subscribe before the first dump so nothing falls between.
     */
    public void subscribe(ConntrackListener listener) {
        for (NetNamespace ns : namespaces()) {
            NetlinkSocket s;
            try {
                s = openIn(ns, CtNetlinkParser.GROUPS_NEW_DESTROY);
            } catch (NetnsEnterer.CannotEnter | NetlinkException e) {
                counters.namespacesFailed.incrementAndGet();
                LOG.warn("conntrack events of {} not available: {}", ns, e.getMessage());
                continue;
            }
            s.receiveBuffer(eventReceiveBuffer);
            s.receiveTimeoutMillis(200);
            Thread t = new Thread(() -> readEvents(ns, s, listener), "conntrack-events-" + ns.inode());
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void readEvents(NetNamespace ns, NetlinkSocket s, ConntrackListener listener) {
        try (s) {
            while (!closed) {
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
