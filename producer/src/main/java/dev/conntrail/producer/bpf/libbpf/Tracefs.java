package dev.conntrail.producer.bpf.libbpf;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.conntrail.producer.sys.Errno;
import dev.conntrail.producer.sys.LibC;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Classic tracepoints are attached by their id in tracefs; mount it when the host has not. */
public final class Tracefs {
    private static final Logger LOG = LoggerFactory.getLogger(Tracefs.class);
    private static final Path TRACING = Path.of("/sys/kernel/tracing");

    private Tracefs() {
    }

    public static synchronized void ensureMounted() {
        if (Files.isDirectory(TRACING.resolve("events")) || Files.isDirectory(Path.of("/sys/kernel/debug/tracing/events"))) {
            return;
        }
        int rc = LibC.INSTANCE.mount("nodev", TRACING.toString(), "tracefs", 0, Pointer.NULL);
        if (rc != 0) {
            int errno = Native.getLastError();
            throw new BpfUnavailableException(BpfUnavailableException.Reason.OTHER,
                    "tracefs is not mounted and mounting it failed (" + Errno.describe(errno)
                            + "): run `mount -t tracefs nodev /sys/kernel/tracing` (classic tracepoints need it)");
        }
        LOG.info("mounted tracefs at {}", TRACING);
    }
}
