package dev.conntrail.producer.bpf.layout;

/** {@code struct sockiter_rec} (bpf/sockiter.h): one TCP socket one process holds, as the socket iterator writes it. Little-endian. */
public final class SockiterRecLayout {
    public static final StructLayout STRUCT = new StructLayout("sockiter_rec", 128);
    public static final int COOKIE = STRUCT.field("cookie", 0, 8);
    public static final int INODE = STRUCT.field("inode", 8, 8);
    public static final int NETNS = STRUCT.field("netns", 16, 4);
    public static final int TGID = STRUCT.field("tgid", 20, 4);
    public static final int UID = STRUCT.field("uid", 24, 4);
    public static final int FD = STRUCT.field("fd", 28, 4);
    public static final int FAMILY = STRUCT.field("family", 32, 2);
    public static final int LPORT = STRUCT.field("lport", 34, 2);
    public static final int RPORT = STRUCT.field("rport", 36, 2);
    public static final int STATE = STRUCT.field("state", 38, 1);
    public static final int PAD = STRUCT.field("pad", 39, 1);
    public static final int LADDR = STRUCT.field("laddr", 40, 16);
    public static final int RADDR = STRUCT.field("raddr", 56, 16);
    public static final int COMM = STRUCT.field("comm", 72, 16);
    /** A {@link CtCountersLayout}: what the socket did so far. */
    public static final int COUNTERS = STRUCT.field("counters", 88, CtCountersLayout.SIZE);
    public static final int SIZE = STRUCT.size();

    private SockiterRecLayout() {
    }
}
