package dev.conntrail.producer.snapshot;

import dev.conntrail.producer.bpf.BpfLink;
import dev.conntrail.producer.bpf.BpfObject;
import dev.conntrail.producer.bpf.LibC;
import dev.conntrail.producer.proc.SocketOwners;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The BPF {@code iter/task_file} pass (bpf/sockiter.bpf.c): one host-wide walk of every task's open
 * files in the kernel, giving each TCP socket a process holds with its owner (tgid, comm), cookie,
 * inode, netns, state and tuple — no /proc text, no namespace entry. Used in place of the
 * {@code /proc/*}{@code /fd} walk. Loaded once through the tracer's libbpf bindings; close it to detach.
 */
public final class SockIterSource implements AutoCloseable {
    static final int RECORD = 88;
    private final BpfObject object;
    private final BpfLink link;

    /** One record of the iterator. */
    public record Held(long cookie, long inode, long netns, int tgid, long uid, int fd, boolean ipv6, int lport,
                       int rport, int state, byte[] laddr, byte[] raddr, String comm) {
    }

    public SockIterSource() {
        BpfObject o = BpfObject.openResource("/bpf/sockiter.bpf.o");
        try {
            o.load();
            this.link = o.program("sockiter").attachIterator();
            this.object = o;
        } catch (RuntimeException e) {
            o.close();
            throw e;
        }
    }

    /** Runs one pass of the iterator and returns its raw bytes. */
    public byte[] readPass() {
        int fd = link.createIterator();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
            byte[] buf = new byte[1 << 16];
            while (true) {
                long n = LibC.INSTANCE.read(fd, buf, buf.length);
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
                out.write(buf, 0, (int) n);
            }
            return out.toByteArray();
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }

    /** Every record of one pass. */
    public List<Held> pass() {
        return parse(readPass());
    }

    /** One pass as sockets (deduplicated by cookie) and their owners by inode. */
    public record Pass(java.util.Map<Long, List<RawSocket>> socketsByNetns, SocketOwners owners, int records) {
    }

    /** One pass: every held TCP socket once (by cookie) grouped by namespace, and the owners. */
    public Pass sockets() {
        return decode(readPass());
    }

    /** Decodes one pass's bytes. */
    public static Pass decode(byte[] b) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        SocketOwners.Builder owners = new SocketOwners.Builder();
        java.util.Map<Long, List<RawSocket>> byNs = new java.util.HashMap<>();
        java.util.Set<Long> seen = new java.util.HashSet<>(b.length / RECORD * 2);
        java.util.Map<Integer, Owner> ownerCache = new java.util.HashMap<>();
        int n = 0;
        for (int off = 0; off + RECORD <= b.length; off += RECORD) {
            n++;
            long cookie = bb.getLong(off);
            long inode = bb.getLong(off + 8);
            int tgid = bb.getInt(off + 20);
            Owner owner = ownerCache.get(tgid);
            if (owner == null) {
                owner = new Owner(tgid, comm(b, off + 72));
                ownerCache.put(tgid, owner);
            }
            owners.add(inode, owner);
            if (!seen.add(cookie)) {
                continue;
            }
            boolean v6 = (bb.getShort(off + 32) & 0xffff) == SockDiagParser.AF_INET6;
            byte[] l = new byte[v6 ? 16 : 4];
            byte[] r = new byte[v6 ? 16 : 4];
            System.arraycopy(b, off + 40, l, 0, l.length);
            System.arraycopy(b, off + 56, r, 0, r.length);
            long netns = bb.getInt(off + 16) & 0xffffffffL;
            byNs.computeIfAbsent(netns, k -> new ArrayList<>()).add(new RawSocket(netns, v6, l, bb.getShort(off + 34) & 0xffff, r,
                    bb.getShort(off + 36) & 0xffff, b[off + 38] & 0xff, bb.getInt(off + 24) & 0xffffffffL, inode, cookie));
        }
        return new Pass(byNs, owners.build(), n);
    }

    /** The owners by inode, for joining with sock_diag. */
    public SocketOwners owners() {
        byte[] b = readPass();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        SocketOwners.Builder owners = new SocketOwners.Builder();
        for (int off = 0; off + RECORD <= b.length; off += RECORD) {
            owners.add(bb.getLong(off + 8), new Owner(bb.getInt(off + 20), comm(b, off + 72)));
        }
        return owners.build();
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
        link.close();
        object.close();
    }
}
