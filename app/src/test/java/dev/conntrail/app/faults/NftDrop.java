package dev.conntrail.app.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * nftables rules that drop what one uid sends to one TCP port on loopback (a network partition between a host's
 * agent and the broker), in a table of their own; {@link #close()} deletes the table, and so does a shutdown hook
 * if the JVM ends first. {@code meta skuid} alone leaks: a socket the client closed with data unacknowledged lives
 * on as an orphan without a file, which {@code skuid} cannot match, and the kernel's retransmissions of that data
 * reached the broker (measured: two records appended 3.6 s into the partition). So the uid's connections to the
 * port that exist when the rule is made are also dropped by their source ports.
 */
final class NftDrop implements AutoCloseable {
    private final String table;
    /** The source ports of the uid's connections to the port when the rule was made, dropped too. */
    final java.util.List<String> sourcePorts;
    private final Thread hook;
    private boolean present;

    NftDrop(int uid, int port) throws IOException, InterruptedException {
        table = "ctfault" + Long.toHexString(System.nanoTime() & 0xffffffL);
        hook = new Thread(this::deleteQuietly, "nft-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        java.util.List<String> sports = sourcePorts(uid, port);
        sourcePorts = sports;
        nft("add table inet " + table + "\n"
                + "add chain inet " + table + " out { type filter hook output priority 0; policy accept; }\n"
                + "add rule inet " + table + " out meta skuid " + uid + " oifname \"lo\" tcp dport " + port + " drop\n"
                + (sports.isEmpty() ? "" : "add rule inet " + table + " out oifname \"lo\" tcp dport " + port + " tcp sport { "
                        + String.join(", ", sports) + " } drop\n"));
        present = true;
    }

    /** Local ports of the uid's established TCP sockets to the port (ss names the uid of sockets not root's). */
    static java.util.List<String> sourcePorts(int uid, int port) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ss", "-Htne", "state", "established", "( dport = :" + port + " )").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        java.util.List<String> ports = new java.util.ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.contains(" uid:" + uid + " ")) continue;
            String[] f = line.trim().split("\\s+");
            String local = f[2];
            ports.add(local.substring(local.lastIndexOf(':') + 1));
        }
        return ports;
    }

    private static void nft(String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("nft", "-f", "-").redirectErrorStream(true).start();
        p.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("nft failed: " + out + " for:\n" + script);
        }
    }

    private synchronized void deleteQuietly() {
        if (!present) return;
        try {
            nft("delete table inet " + table + "\n");
            present = false;
        } catch (Exception e) {
            System.err.println("could not delete nft table " + table + ": " + e);
        }
    }

    @Override
    public void close() {
        deleteQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }
}
