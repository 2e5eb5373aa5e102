package dev.conntrail.cli;

import java.io.IOException;
import java.net.InetAddress;

/** The contract's default host id: this machine's hostname. */
public final class HostIds {
    private HostIds() {
    }

    /** The hostname, or {@code localhost} when it cannot be resolved (a command must still start). */
    public static String defaultHostId() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
