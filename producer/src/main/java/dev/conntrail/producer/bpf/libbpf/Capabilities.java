package dev.conntrail.producer.bpf.libbpf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's effective capabilities, from /proc/self/status (CapEff). */
public final class Capabilities {
    public static final int CAP_DAC_READ_SEARCH = 2;
    public static final int CAP_NET_ADMIN = 12;
    public static final int CAP_SYS_PTRACE = 19;
    public static final int CAP_SYS_ADMIN = 21;
    public static final int CAP_PERFMON = 38;
    public static final int CAP_BPF = 39;

    private Capabilities() {
    }

    public static long effective() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown: report none
        }
        return 0;
    }

    public static boolean has(int cap) {
        return has(effective(), cap);
    }

    /** Whether the capability set {@code set} (a CapEff-style bit mask) holds {@code cap}. */
    public static boolean has(long set, int cap) {
        return (set & (1L << cap)) != 0;
    }

    /** CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON (tracing programs need both). */
    public static boolean canLoadBpf() {
        return has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON));
    }
}
