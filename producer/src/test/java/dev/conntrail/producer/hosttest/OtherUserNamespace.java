package dev.conntrail.producer.hosttest;

import dev.conntrail.producer.ns.NetnsDiscovery;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A process of uid 65534 sleeping in a network namespace of its own (unshare, then setpriv): another user's
 * process and another namespace to try permissions on. Root only; close kills it (its namespace goes with it).
 */
public final class OtherUserNamespace implements AutoCloseable {
    public static final long UID = 65534;
    private final Process process;

    public OtherUserNamespace() {
        try {
            process = new ProcessBuilder("unshare", "--net", "setpriv", "--reuid=" + UID, "--regid=" + UID, "--clear-groups",
                    "sleep", "600").redirectErrorStream(true).start();
            long own = NetnsDiscovery.currentNetns();
            Path status = Path.of("/proc", Long.toString(process.pid()), "status");
            for (int i = 0; i < 100; i++) {
                long ns = NetnsDiscovery.nsInode(Path.of("/proc", Long.toString(process.pid()), "ns", "net"));
                if (ns > 0 && ns != own && Files.readAllLines(status).stream().anyMatch(l -> l.matches("Uid:\\s+" + UID + "\\s.*"))) {
                    return;
                }
                Thread.sleep(50);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        close();
        throw new IllegalStateException("the uid " + UID + " process in a namespace of its own did not start");
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
