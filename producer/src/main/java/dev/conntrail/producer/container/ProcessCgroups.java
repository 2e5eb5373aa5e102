package dev.conntrail.producer.container;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The cgroups of one process, as its {@code /proc/PID/cgroup} names them: the cgroup v2 path (the
 * {@code 0::/path} line; null on a host with v1 hierarchies only) and the v1 hierarchies' paths.
 * Paths are relative to the reader's cgroup namespace.
 */
public record ProcessCgroups(String unified, List<String> v1) {
    /** The process's cgroups, or null when it is gone (or its file cannot be read). */
    public static ProcessCgroups read(Path proc, int pid) {
        String text = readText(proc, pid, new byte[4096]);
        return text == null ? null : parse(text);
    }

    /**
     * The text of {@code /proc/PID/cgroup}, or null when the process is gone (or the file cannot be read).
     * Read into the caller's {@code buf}: a snapshot reads one file per process, and a stream into a reused
     * buffer spares {@code Files.readAllBytes}' size probe and new array per file.
     */
    public static String readText(Path proc, int pid, byte[] buf) {
        Path file = proc.resolve(Integer.toString(pid)).resolve("cgroup");
        try (FileInputStream in = new FileInputStream(file.toString())) {
            int len = 0;
            int n;
            while (len < buf.length && (n = in.read(buf, len, buf.length - len)) > 0) {
                len += n;
            }
            if (len == buf.length) { // longer than the buffer: rare (deep paths on many hierarchies)
                return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            }
            return new String(buf, 0, len, StandardCharsets.UTF_8);
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /** Parses the file's text; lines that are not {@code hierarchy:controllers:path} are skipped. */
    public static ProcessCgroups parse(String text) {
        String unified = null;
        List<String> v1 = new ArrayList<>(2);
        for (String line : text.split("\n")) {
            int first = line.indexOf(':');
            int second = first < 0 ? -1 : line.indexOf(':', first + 1);
            if (second < 0) {
                continue;
            }
            String path = line.substring(second + 1);
            if (!path.startsWith("/")) {
                continue;
            }
            if (line.startsWith("0::")) {
                unified = path;
            } else {
                v1.add(path);
            }
        }
        return new ProcessCgroups(unified, List.copyOf(v1));
    }
}
