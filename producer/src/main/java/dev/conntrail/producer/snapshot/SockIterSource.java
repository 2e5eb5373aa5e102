package dev.conntrail.producer.snapshot;

import dev.conntrail.producer.bpf.layout.NsiterRecLayout;
import dev.conntrail.producer.bpf.layout.SockiterObject;
import dev.conntrail.producer.bpf.decode.CountersDecoder;
import dev.conntrail.producer.bpf.layout.SockiterRecLayout;
import dev.conntrail.producer.bpf.libbpf.BpfLink;
import dev.conntrail.producer.bpf.libbpf.BpfObject;
import dev.conntrail.producer.bpf.libbpf.BpfUnavailableException;
import dev.conntrail.producer.proc.SocketOwners;
import dev.conntrail.producer.sys.LibC;
import it.unimi.dsi.fastutil.longs.LongOpenHashSet;
import it.unimi.dsi.fastutil.longs.LongSet;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The BPF iterators of bpf/sockiter.bpf.c. {@code sockiter} ({@code iter/task_file}): one host-wide
 * walk of every task's open files in the kernel, giving each TCP socket a process holds with its owner
 * (tgid, comm), cookie, inode, netns, state and tuple — no /proc text, no namespace entry; used in
 * place of the {@code /proc/*}{@code /fd} walk. {@code nsiter} ({@code iter/task}): every process's
 * network namespace, in place of a readlink of each {@code /proc/PID/ns/net}. Loaded once through the
 * tracer's libbpf bindings; close it to detach. Not thread-safe (one pass at a time: it reuses its buffer).
 */
public final class SockIterSource implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SockIterSource.class);
    /** The socket programs of sockiter.bpf.o, in the order they are tried (see its header). */
    private static final String HELPER_PROGRAM = SockiterObject.PROG_SOCKETS_HELPER_COOKIE;
    private static final String STORED_PROGRAM = SockiterObject.PROG_SOCKETS_STORED_COOKIE;
    private static final int RECORD = SockiterRecLayout.SIZE;
    private final BpfObject object;
    private final boolean kernelMakesCookies;
    private final String refusal;
    private final SocketCookies cookies = new SocketCookies();
    private final BpfLink sockets;
    private final BpfLink processes;
    /**
     * A pass is read through this buffer a chunk at a time and decoded record by record as it comes: the whole
     * pass (128 bytes a socket: 25 MB at 200,000 sockets) is never held, natively or on the heap.
     */
    private static final int CHUNK = 1 << 20;
    private final com.sun.jna.Memory nativeBuffer = new com.sun.jna.Memory(CHUNK);
    private final ByteBuffer chunk = nativeBuffer.getByteBuffer(0, CHUNK).order(ByteOrder.LITTLE_ENDIAN);

    /** Takes the records of a pass one at a time: the record at {@code off} of {@code bb} (little-endian), valid during the call only. */
    private interface RecordSink {
        void record(ByteBuffer bb, int off);
    }

    /** One record of the iterator. */
    public record Held(long cookie, long inode, long netns, int tgid, long uid, int fd, boolean ipv6, int lport,
                       int rport, int state, byte[] laddr, byte[] raddr, String comm) {
    }

    /** Every process (ascending pid) and the inode of its network namespace, from one iter/task pass. */
    public record Processes(int[] pids, long[] netns) {
    }

    /**
     * Loads the iterators: the socket program that takes its cookie from the kernel's helper where the
     * verifier allows it, else the one that reads the stored cookie (see {@link #kernelMakesCookies()}).
     * Throws {@link BpfUnavailableException} when neither loads.
     */
    public SockIterSource() {
        String refused = null;
        BpfObject o;
        try {
            o = load(HELPER_PROGRAM, STORED_PROGRAM);
        } catch (BpfUnavailableException e) {
            if (e.reason() != BpfUnavailableException.Reason.PROGRAM_REFUSED) {
                throw e;
            }
            refused = e.getMessage();
            o = load(STORED_PROGRAM, HELPER_PROGRAM);
        }
        BpfLink s = null;
        try {
            s = o.program(refused == null ? HELPER_PROGRAM : STORED_PROGRAM).attachIterator();
            this.processes = o.program(SockiterObject.PROG_NAMESPACES).attachIterator();
            this.sockets = s;
            this.object = o;
            this.kernelMakesCookies = refused == null;
            this.refusal = refused;
            if (refused != null) {
                LOG.info("socket iterator: the kernel refuses bpf_get_socket_cookie() on an iterated socket; using {},"
                        + " which reads stored cookies and generates the missing ones with SO_COOKIE", STORED_PROGRAM);
                LOG.debug("refusal: {}", refused);
            }
        } catch (RuntimeException e) {
            if (s != null) {
                s.close();
            }
            o.close();
            throw e;
        }
    }

    private static BpfObject load(String program, String without) {
        BpfObject o = BpfObject.openResource(SockiterObject.RESOURCE);
        try {
            o.program(without).setAutoload(false);
            o.load();
            return o;
        } catch (RuntimeException e) {
            o.close();
            throw e;
        }
    }

    /**
     * True when the loaded socket program calls bpf_get_socket_cookie() (every record has its cookie);
     * false when it reads the stored one and {@link #sockets()} generates the missing ones itself.
     */
    public boolean kernelMakesCookies() {
        return kernelMakesCookies;
    }

    /** The name of the socket program in use. */
    public String socketProgram() {
        return kernelMakesCookies ? HELPER_PROGRAM : STORED_PROGRAM;
    }

    /** Why the kernel refused the program that calls bpf_get_socket_cookie() (null when it took it). */
    public String helperRefusal() {
        return refusal;
    }

    /** Runs one pass of the socket iterator and returns a copy of its raw bytes. */
    public byte[] readPass() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] rec = new byte[RECORD];
        read(sockets, RECORD, (bb, off) -> {
            bb.get(off, rec);
            out.write(rec, 0, RECORD);
        });
        return out.toByteArray();
    }

    /**
     * Runs one pass of {@code link}, handing each whole record of {@code recordSize} bytes to {@code sink} as it is
     * read (a record split across two reads is joined first).
     */
    private void read(BpfLink link, int recordSize, RecordSink sink) {
        int fd = link.createIterator();
        try {
            int carried = 0; // the start of a record the last read split, at the buffer's start
            while (true) {
                long n = LibC.INSTANCE.read(fd, nativeBuffer.share(carried), CHUNK - carried);
                if (n < 0) {
                    int errno = com.sun.jna.Native.getLastError();
                    if (errno == LibC.EINTR) {
                        continue;
                    }
                    throw new IllegalStateException("reading the socket iterator failed: errno " + errno);
                }
                if (n == 0) {
                    break;
                }
                int end = carried + (int) n;
                int off = 0;
                for (; off + recordSize <= end; off += recordSize) {
                    sink.record(chunk, off);
                }
                carried = end - off;
                if (carried > 0 && off > 0) {
                    byte[] part = new byte[carried];
                    chunk.get(off, part);
                    chunk.put(0, part);
                }
            }
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }

    /** Every process and its network namespace (for NetnsDiscovery#fromProcesses). */
    public Processes processes() {
        it.unimi.dsi.fastutil.ints.IntArrayList pids = new it.unimi.dsi.fastutil.ints.IntArrayList();
        it.unimi.dsi.fastutil.longs.LongArrayList netns = new it.unimi.dsi.fastutil.longs.LongArrayList();
        read(processes, NsiterRecLayout.SIZE, (bb, off) -> {
            pids.add(bb.getInt(off + NsiterRecLayout.TGID));
            netns.add(bb.getInt(off + NsiterRecLayout.NETNS) & 0xffffffffL);
        });
        return new Processes(pids.toIntArray(), netns.toLongArray());
    }

    /** Every record of one pass. */
    public List<Held> pass() {
        return parse(readPass());
    }

    /**
     * One pass as sockets (deduplicated by cookie) grouped by namespace, their owners by inode, and per
     * namespace how many of its sockets are hashed (not CLOSE, not TIME_WAIT: what net/sockstat's
     * "inuse" counts). Sockets in CLOSE (never connected, or reset) are left out: no snapshot shows them.
     * A socket whose cookie is still unknown (0: never generated, and generating it failed) is left out
     * too, and its namespace is in {@code netnsWithoutCookies}: only sock_diag can name its sockets.
     * {@code cookiesGenerated}: sockets whose cookie this pass had to generate first.
     */
    public record Pass(Map<Long, List<RawSocket>> socketsByNetns, SocketOwners owners, int records, LongSet cookies,
                       LongSet netnsWithoutCookies, int withoutCookie, int cookiesGenerated) {
    }

    /**
     * One pass: every held TCP socket once (by cookie) grouped by namespace, and the owners. With the
     * stored-cookie program, sockets without a cookie yet get one ({@link SocketCookies}) and the pass is
     * read again, so the cookies are the ones the tracer and sock_diag will report for them.
     */
    public Pass sockets() {
        PassDecoder first = new PassDecoder();
        read(sockets, RECORD, first::record);
        Pass pass = first.finish(0);
        if (pass.withoutCookie() == 0) {
            return pass;
        }
        int before = cookies.generated();
        cookies.generate(first.missingTgids.toIntArray(), first.missingFds.toIntArray(), first.missingTgids.size()); // records come task by task: one pidfd per process
        int generated = cookies.generated() - before;
        if (generated == 0) {
            return pass;
        }
        PassDecoder again = new PassDecoder();
        read(sockets, RECORD, again::record);
        return again.finish(generated);
    }

    /** Sockets whose cookie generation failed since start (process or fd gone, or no CAP_SYS_PTRACE). */
    public int cookieFailures() {
        return cookies.failed();
    }

    /** errno of the last failed cookie generation (EPERM: no CAP_SYS_PTRACE), 0 if none failed. */
    public int lastCookieErrno() {
        return cookies.lastErrno();
    }

    /** Decodes one pass's bytes. */
    public static Pass decode(byte[] b) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        PassDecoder d = new PassDecoder();
        for (int off = 0; off + RECORD <= b.length; off += RECORD) {
            d.record(bb, off);
        }
        return d.finish(0);
    }

    /** Builds a {@link Pass} from its records as they are read; keeps the task and fd of each socket without a cookie yet. */
    private static final class PassDecoder {
        private final SocketOwners.Builder owners = new SocketOwners.Builder();
        private final Map<Long, List<RawSocket>> byNs = new HashMap<>();
        private final LongOpenHashSet seen = new LongOpenHashSet();
        private final LongOpenHashSet netnsWithoutCookies = new LongOpenHashSet(4);
        private final it.unimi.dsi.fastutil.ints.IntArrayList missingTgids = new it.unimi.dsi.fastutil.ints.IntArrayList();
        private final it.unimi.dsi.fastutil.ints.IntArrayList missingFds = new it.unimi.dsi.fastutil.ints.IntArrayList();
        private int withoutCookie;
        private Owner owner;
        private long lastNetns = -1;
        private List<RawSocket> nsList;
        private int n;

        void record(ByteBuffer bb, int off) {
            n++;
            int state = state(bb, off);
            if (state == TcpStates.CLOSE) {
                return;
            }
            long cookie = bb.getLong(off + SockiterRecLayout.COOKIE);
            long inode = bb.getLong(off + SockiterRecLayout.INODE);
            int tgid = bb.getInt(off + SockiterRecLayout.TGID);
            long netns = bb.getInt(off + SockiterRecLayout.NETNS) & 0xffffffffL;
            if (owner == null || owner.pid() != tgid) { // records come task by task
                owner = new Owner(tgid, comm(bb, off));
            }
            owners.add(inode, owner);
            if (cookie == 0) { // never generated: no name yet (see SocketCookies)
                withoutCookie++;
                netnsWithoutCookies.add(netns);
                missingTgids.add(tgid);
                missingFds.add(bb.getInt(off + SockiterRecLayout.FD));
                return;
            }
            if (!seen.add(cookie)) {
                return; // shared by another process (fork): one socket
            }
            boolean v6 = ipv6(bb, off);
            byte[] l = address(bb, off + SockiterRecLayout.LADDR, v6);
            byte[] r = address(bb, off + SockiterRecLayout.RADDR, v6);
            if (netns != lastNetns) {
                nsList = byNs.computeIfAbsent(netns, k -> new ArrayList<>());
                lastNetns = netns;
            }
            nsList.add(new RawSocket(netns, v6, l, port(bb, off + SockiterRecLayout.LPORT), r,
                    port(bb, off + SockiterRecLayout.RPORT), state, uid(bb, off), inode, cookie,
                    state == TcpStates.LISTEN ? null : CountersDecoder.decode(bb, off + SockiterRecLayout.COUNTERS)));
        }

        Pass finish(int cookiesGenerated) {
            return new Pass(byNs, owners.build(), n, seen, netnsWithoutCookies, withoutCookie, cookiesGenerated);
        }
    }

    static List<Held> parse(byte[] b) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        List<Held> out = new ArrayList<>(b.length / RECORD);
        for (int off = 0; off + RECORD <= b.length; off += RECORD) {
            boolean v6 = ipv6(bb, off);
            out.add(new Held(bb.getLong(off + SockiterRecLayout.COOKIE), bb.getLong(off + SockiterRecLayout.INODE),
                    bb.getInt(off + SockiterRecLayout.NETNS) & 0xffffffffL, bb.getInt(off + SockiterRecLayout.TGID),
                    uid(bb, off), bb.getInt(off + SockiterRecLayout.FD), v6, port(bb, off + SockiterRecLayout.LPORT),
                    port(bb, off + SockiterRecLayout.RPORT), state(bb, off), address(bb, off + SockiterRecLayout.LADDR, v6),
                    address(bb, off + SockiterRecLayout.RADDR, v6), comm(bb, off)));
        }
        return out;
    }

    private static int state(ByteBuffer bb, int rec) {
        return bb.get(rec + SockiterRecLayout.STATE) & 0xff;
    }

    private static boolean ipv6(ByteBuffer bb, int rec) {
        return (bb.getShort(rec + SockiterRecLayout.FAMILY) & 0xffff) == LibC.AF_INET6;
    }

    private static byte[] address(ByteBuffer bb, int off, boolean v6) {
        byte[] a = new byte[v6 ? 16 : 4];
        bb.get(off, a);
        return a;
    }

    private static int port(ByteBuffer bb, int off) {
        return bb.getShort(off) & 0xffff;
    }

    private static long uid(ByteBuffer bb, int rec) {
        return bb.getInt(rec + SockiterRecLayout.UID) & 0xffffffffL;
    }

    private static String comm(ByteBuffer bb, int rec) {
        int off = rec + SockiterRecLayout.COMM;
        int n = 0;
        while (n < 16 && bb.get(off + n) != 0) {
            n++;
        }
        byte[] text = new byte[n];
        bb.get(off, text);
        return new String(text, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        processes.close();
        sockets.close();
        object.close();
        nativeBuffer.close();
    }
}
