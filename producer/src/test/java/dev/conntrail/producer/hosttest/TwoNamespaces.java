package dev.conntrail.producer.hosttest;

import dev.conntrail.producer.ns.NetNamespace;
import dev.conntrail.producer.ns.NetnsEnterer;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Two network namespaces made for one test ({@code ct-<rand>-a}, {@code ct-<rand>-b}) joined by a
 * veth pair, with addresses 10.201.N.1 / .2 and fd00:201:N::1 / ::2 that exist only inside them.
 * Close deletes both (the veth goes with them).
 */
public final class TwoNamespaces implements AutoCloseable {
    public final String a;
    public final String b;
    public final String v4a;
    public final String v4b;
    public final String v6a;
    public final String v6b;

    public TwoNamespaces() {
        int n = ThreadLocalRandom.current().nextInt(1, 250);
        String tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        a = "ct-" + tag + "-a";
        b = "ct-" + tag + "-b";
        v4a = "10.201." + n + ".1";
        v4b = "10.201." + n + ".2";
        v6a = "fd00:201:" + Integer.toHexString(n) + "::1";
        v6b = "fd00:201:" + Integer.toHexString(n) + "::2";
        try {
            Sh.run("ip", "netns", "add", a);
            Sh.run("ip", "netns", "add", b);
            String va = "cv" + tag + "a";
            String vb = "cv" + tag + "b";
            Sh.run("ip", "link", "add", va, "netns", a, "type", "veth", "peer", "name", vb, "netns", b);
            for (String[] side : new String[][] {{a, va, v4a, v6a}, {b, vb, v4b, v6b}}) {
                Sh.run("ip", "-n", side[0], "link", "set", "lo", "up");
                Sh.run("ip", "-n", side[0], "addr", "add", side[2] + "/24", "dev", side[1]);
                Sh.run("ip", "-n", side[0], "addr", "add", side[3] + "/64", "dev", side[1], "nodad");
                Sh.run("ip", "-n", side[0], "link", "set", side[1], "up");
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * A listener on {@link #v4b} inside namespace B, and an nftables DNAT rule there that sends
     * TCP port 80 to it: a connection from A to B:80 makes a NAT-translated conntrack entry.
     */
    public ServerSocketChannel dnatPort80ToListenerInB() throws Exception {
        ServerSocketChannel server = listen(b, v4b);
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        netnsExec(b, "nft", "add table ip ctnat; add chain ip ctnat pre { type nat hook prerouting priority -100 ; };"
                + " add rule ip ctnat pre tcp dport 80 dnat to " + v4b + ":" + port);
        return server;
    }

    /**
     * A listener bound to {@code addr} port 0 inside namespace {@code netns} (null: this JVM's own),
     * with the address's own family: Java would otherwise make every socket AF_INET6 (v4-mapped).
     */
    public static ServerSocketChannel listen(String netns, String addr) throws IOException {
        InetAddress ia = InetAddress.getByName(addr);
        Supplier<ServerSocketChannel> open = () -> {
            try {
                ServerSocketChannel ss = ServerSocketChannel.open(ia instanceof Inet4Address
                        ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
                ss.bind(new InetSocketAddress(ia, 0));
                return ss;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        };
        if (netns == null) {
            return open.get();
        }
        try (NetnsEnterer in = new NetnsEnterer()) {
            return in.inside(namespace(netns), open);
        }
    }

    public static long inode(String name) {
        try {
            return ((Number) Files.getAttribute(Path.of("/run/netns", name), "unix:ino")).longValue();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The namespace as the discovery sees it (for entering from Java). */
    public static NetNamespace namespace(String name) {
        long ino = inode(name);
        return new NetNamespace(ino, List.of(Path.of("/run/netns", name)), List.of(), name);
    }

    public static String netnsExec(String ns, String... cmd) {
        String[] full = new String[cmd.length + 4];
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = ns;
        System.arraycopy(cmd, 0, full, 4, cmd.length);
        return Sh.run(full);
    }

    @Override
    public void close() {
        Sh.quiet("ip", "netns", "del", a);
        Sh.quiet("ip", "netns", "del", b);
    }

}
