package dev.conntrail.producer.hosttest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Connections from {@link Holders} processes to listeners this JVM makes (in any namespace), each accepted here;
 * {@link #close()} closes the accepted sockets, the listeners and the holders.
 */
public final class AcceptedHolders implements AutoCloseable {
    /** One connection: the holder's pid and port, and the listener's port. */
    public record Accepted(long clientPid, int clientPort, int serverPort) {
    }

    private final Holders holders = new Holders();
    private final List<ServerSocketChannel> servers = new ArrayList<>();
    private final List<SocketChannel> accepted = new ArrayList<>();

    /** A listener on {@code addr}, port chosen by the kernel, in namespace {@code netns} (null: this one). */
    public ServerSocketChannel listen(String netns, String addr) throws IOException {
        ServerSocketChannel s = TwoNamespaces.listen(netns, addr);
        servers.add(s);
        return s;
    }

    /** A holder in {@code clientNs} (null: this one) dials {@code dialAddr} at {@code server}'s port; accepted here. */
    public Accepted connect(String clientNs, ServerSocketChannel server, String dialAddr) throws IOException {
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        long pid = holders.connect(clientNs, dialAddr, port);
        SocketChannel a = server.accept(); // blocking; the holder connects within milliseconds
        accepted.add(a);
        return new Accepted(pid, ((InetSocketAddress) a.getRemoteAddress()).getPort(), port);
    }

    public Holders holders() {
        return holders;
    }

    /** How many listeners {@link #listen} made. */
    public int listeners() {
        return servers.size();
    }

    @Override
    public void close() throws IOException {
        for (SocketChannel s : accepted) {
            s.close();
        }
        for (ServerSocketChannel s : servers) {
            s.close();
        }
        holders.close();
    }
}
