package dev.conntrail.producer.snapshot;

import dev.conntrail.producer.bpf.BpfLink;
import dev.conntrail.producer.bpf.BpfObject;
import dev.conntrail.producer.bpf.BpfUnavailableException;
import dev.conntrail.producer.proc.SocketOwners;
import dev.conntrail.producer.sys.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
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
    static final int RECORD = 88;
    static final int NS_RECORD = 8;
    /** The socket programs of sockiter.bpf.o, in the order they are tried (see its header). */
    static final String HELPER_PROGRAM = "sockiter";
    static final String STORED_PROGRAM = "sockiter_stored";
    private final BpfObject object;
    private final boolean kernelMakesCookies;
    private final String refusal;
    private final SocketCookies cookies = new SocketCookies();
    private final BpfLink sockets;
    private final BpfLink processes;
    private com.sun.jna.Memory nativeBuffer = new com.sun.jna.Memory(1 << 21);
    private byte[] buffer = new byte[1 << 21];

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
            this.processes = o.program("nsiter").attachIterator();
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
        BpfObject o = BpfObject.openResource("/bpf/sockiter.bpf.o");
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

    /** Why the kernel refused the helper program (null when it took it). */
    public String helperRefusal() {
        return refusal;
    }

    /** Runs one pass of the socket iterator and returns a copy of its raw bytes. */
    public byte[] readPass() {
        return Arrays.copyOf(buffer, read(sockets));
    }

    /** Runs one pass of {@code link} into {@link #buffer}; returns the byte count. */
    private int read(BpfLink link) {
        int fd = link.createIterator();
        try {
            long len = 0;
            while (true) {
                if (nativeBuffer.size() - len < 1 << 16) { // the kernel hands out at most a few pages per read
                    com.sun.jna.Memory bigger = new com.sun.jna.Memory(nativeBuffer.size() * 2);
                    bigger.write(0, nativeBuffer.getByteArray(0, (int) len), 0, (int) len);
                    nativeBuffer.close();
                    nativeBuffer = bigger;
                }
                long n = LibC.INSTANCE.read(fd, nativeBuffer.share(len), nativeBuffer.size() - len);
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
                len += n;
            }
            if (buffer.length < len) {
                buffer = new byte[(int) nativeBuffer.size()];
            }
            nativeBuffer.read(0, buffer, 0, (int) len);
            return (int) len;
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }

    /** Every process and its network namespace (for NetnsDiscovery#fromProcesses). */
    public Processes processes() {
        int len = read(processes);
        ByteBuffer bb = ByteBuffer.wrap(buffer, 0, len).order(ByteOrder.LITTLE_ENDIAN);
        int n = len / NS_RECORD;
        int[] pids = new int[n];
        long[] netns = new long[n];
        for (int i = 0; i < n; i++) {
            pids[i] = bb.getInt(i * NS_RECORD);
            netns[i] = bb.getInt(i * NS_RECORD + 4) & 0xffffffffL;
        }
        return new Processes(pids, netns);
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
        int len = read(sockets); // first: it may replace the buffer
        Pass pass = decode(buffer, len);
        if (pass.withoutCookie() == 0) {
            return pass;
        }
        int before = cookies.generated();
        generateMissingCookies(buffer, len);
        int generated = cookies.generated() - before;
        if (generated == 0) {
            return pass;
        }
        len = read(sockets);
        Pass again = decode(buffer, len);
        return new Pass(again.socketsByNetns(), again.owners(), again.records(), again.cookies(),
                again.netnsWithoutCookies(), again.withoutCookie(), generated);
    }

    private void generateMissingCookies(byte[] b, int len) {
        ByteBuffer bb = ByteBuffer.wrap(b, 0, len).order(ByteOrder.LITTLE_ENDIAN);
        int[] tgids = new int[64];
        int[] fds = new int[64];
        int n = 0;
        for (int off = 0; off + RECORD <= len; off += RECORD) {
            if (bb.getLong(off) != 0 || (b[off + 38] & 0xff) == TcpStates.CLOSE) {
                continue;
            }
            if (n == tgids.length) {
                tgids = Arrays.copyOf(tgids, n * 2);
                fds = Arrays.copyOf(fds, n * 2);
            }
            tgids[n] = bb.getInt(off + 20);
            fds[n] = bb.getInt(off + 28);
            n++;
        }
        cookies.generate(tgids, fds, n); // records come task by task: one pidfd per process
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
        return decode(b, b.length);
    }

    static Pass decode(byte[] b, int len) {
        ByteBuffer bb = ByteBuffer.wrap(b, 0, len).order(ByteOrder.LITTLE_ENDIAN);
        SocketOwners.Builder owners = new SocketOwners.Builder();
        Map<Long, List<RawSocket>> byNs = new HashMap<>();
        LongSet seen = new LongSet(len / RECORD);
        LongSet netnsWithoutCookies = new LongSet(4);
        int withoutCookie = 0;
        Owner owner = null;
        long lastNetns = -1;
        List<RawSocket> nsList = null;
        int n = 0;
        for (int off = 0; off + RECORD <= len; off += RECORD) {
            n++;
            int state = b[off + 38] & 0xff;
            if (state == TcpStates.CLOSE) {
                continue;
            }
            long cookie = bb.getLong(off);
            long inode = bb.getLong(off + 8);
            int tgid = bb.getInt(off + 20);
            long netns = bb.getInt(off + 16) & 0xffffffffL;
            if (owner == null || owner.pid() != tgid) { // records come task by task
                owner = new Owner(tgid, comm(b, off + 72));
            }
            owners.add(inode, owner);
            if (cookie == 0) { // never generated: no name yet (see SocketCookies)
                withoutCookie++;
                netnsWithoutCookies.add(netns);
                continue;
            }
            if (!seen.add(cookie)) {
                continue; // shared by another process (fork): one socket
            }
            boolean v6 = (bb.getShort(off + 32) & 0xffff) == SockDiagParser.AF_INET6;
            byte[] l = Arrays.copyOfRange(b, off + 40, off + 40 + (v6 ? 16 : 4));
            byte[] r = Arrays.copyOfRange(b, off + 56, off + 56 + (v6 ? 16 : 4));
            if (netns != lastNetns) {
                nsList = byNs.computeIfAbsent(netns, k -> new ArrayList<>());
                lastNetns = netns;
            }
            nsList.add(new RawSocket(netns, v6, l, bb.getShort(off + 34) & 0xffff, r, bb.getShort(off + 36) & 0xffff,
                    state, bb.getInt(off + 24) & 0xffffffffL, inode, cookie));
        }
        return new Pass(byNs, owners.build(), n, seen, netnsWithoutCookies, withoutCookie, 0);
    }

    static List<Held> parse(byte[] b) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        List<Held> out = new ArrayList<>(b.length / RECORD);
        for (int off = 0; off + RECORD <= b.length; off += RECORD) {
            boolean v6 = (bb.getShort(off + 32) & 0xffff) == SockDiagParser.AF_INET6;
            byte[] l = new byte[v6 ? 16 : 4];
            byte[] r = new byte[v6 ? 16 : 4];
            System.arraycopy(b, off + 40, l, 0, l.length);
            System.arraycopy(b, off + 56, r, 0, r.length);
            out.add(new Held(bb.getLong(off), bb.getLong(off + 8), bb.getInt(off + 16) & 0xffffffffL, bb.getInt(off + 20),
                    bb.getInt(off + 24) & 0xffffffffL, bb.getInt(off + 28), v6, bb.getShort(off + 34) & 0xffff,
                    bb.getShort(off + 36) & 0xffff, b[off + 38] & 0xff, l, r, comm(b, off + 72)));
        }
        return out;
    }

    private static String comm(byte[] b, int off) {
        int n = 0;
        while (n < 16 && b[off + n] != 0) {
            n++;
        }
        return new String(b, off, n, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        processes.close();
        sockets.close();
        object.close();
        nativeBuffer.close();
    }
}
