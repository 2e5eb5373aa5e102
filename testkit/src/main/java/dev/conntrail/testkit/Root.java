package dev.conntrail.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether this JVM runs as root, which the kernel tests need (CI runs them as root). */
public final class Root {
    private Root() {
    }

    /** True when the effective uid is 0 (the owner of {@code /proc/self}). */
    public static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the uid of /proc/self", e);
        }
    }
}
