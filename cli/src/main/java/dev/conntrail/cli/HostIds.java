package dev.conntrail.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The contract's default host id: this machine's hostname as the kernel has it ({@code uname -n}, read from
 * {@code /proc/sys/kernel/hostname}), without a DNS lookup, so a hostname that does not resolve is still this
 * host's name. A producer must have a name no other host has: where the kernel's name is missing or one that
 * many hosts share ({@code localhost}, the kernel's {@code (none)}), it stops and asks for {@code --host-id}.
 */
public final class HostIds {
    static final Path KERNEL_HOSTNAME = Path.of("/proc/sys/kernel/hostname");
    /** Names that say nothing about which host it is. */
    private static final Set<String> SHARED = Set.of("", "localhost", "localhost.localdomain", "localhost6",
            "localhost6.localdomain6", "(none)");

    private HostIds() {
    }

    /** The kernel's hostname, or null when it cannot be read. */
    public static String kernelHostname() {
        try {
            return Files.readString(KERNEL_HOSTNAME, StandardCharsets.UTF_8).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * For commands that name records only for this host's own view ({@code trace}, {@code snapshot},
     * {@code local}): the kernel's hostname, or {@code localhost} when it has none.
     */
    public static String defaultHostId() {
        String name = kernelHostname();
        return name == null || name.isEmpty() ? "localhost" : name;
    }

    /** The producer's host id from the kernel's hostname. */
    public static String producerHostId(String given) {
        return producerHostId(given, HostIds::kernelHostname);
    }

    /**
     * The producer's host id: {@code given} (from {@code --host-id}) when set, else the hostname {@code hostname}
     * supplies; a hostname that is missing or shared by many hosts is refused with a message saying to pass
     * {@code --host-id}: two producers with one id would overwrite each other's rows.
     */
    public static String producerHostId(String given, Supplier<String> hostname) {
        if (given != null) {
            return given;
        }
        String name = hostname.get();
        if (name == null) {
            throw new UserFacingException("cannot read this host's name (" + KERNEL_HOSTNAME + "): pass --host-id "
                    + "(or CONNTRAIL_HOST_ID) with a name no other host uses");
        }
        if (SHARED.contains(name.toLowerCase(Locale.ROOT))) {
            throw new UserFacingException("this host's name is '" + TerminalText.line(name) + "', which does not tell hosts apart: "
                    + "pass --host-id (or CONNTRAIL_HOST_ID) with a name no other host uses");
        }
        return name;
    }
}
