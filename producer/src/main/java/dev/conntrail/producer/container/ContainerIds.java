package dev.conntrail.producer.container;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The container id (64 lower-case hex digits, as {@code docker ps --no-trunc}, {@code crictl ps} and
 * {@code podman ps} show it) in a cgroup path, or null when the path is no container's. The shapes,
 * for both cgroup v2 and v1 paths:
 * <ul>
 *   <li>docker: {@code /system.slice/docker-ID.scope} (systemd driver), {@code /docker/ID} (cgroupfs driver);</li>
 *   <li>containerd / CRI: {@code /kubepods.slice/.../cri-containerd-ID.scope},
 *   {@code /kubepods/burstable/podUID/ID};</li>
 *   <li>CRI-O: {@code .../crio-ID.scope};</li>
 *   <li>podman: {@code /machine.slice/libpod-ID.scope}, {@code /libpod_parent/libpod-ID};</li>
 * </ul>
 * The innermost match wins (a container nested in a container is named, and so is a cgroup a
 * container made below its own, such as {@code docker-ID.scope/init.scope}). The runtimes' monitor
 * processes ({@code crio-conmon-ID.scope}, {@code libpod-conmon-ID.scope}) are not the container:
 * no match. systemd services and slices ({@code /system.slice/nginx.service}) are no container: null;
 * the cgroup id of the record still tells them apart.
 */
public final class ContainerIds {
    private static final Pattern SEGMENT = Pattern.compile(
            "(?:(?:docker|cri-containerd|crio|libpod|containerd)-)?([0-9a-f]{64})(?:\\.scope)?");

    private ContainerIds() {
    }

    /** The container id in {@code path}, or null; never throws. */
    public static String fromPath(String path) {
        if (path == null) {
            return null;
        }
        String found = null;
        int start = 0;
        int n = path.length();
        while (start <= n) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = n;
            }
            if (end - start >= 64) { // an id is 64 digits: most segments are skipped by length
                Matcher m = SEGMENT.matcher(path).region(start, end);
                if (m.matches()) {
                    found = m.group(1);
                }
            }
            start = end + 1;
        }
        return found;
    }

    /** The first 12 digits, as {@code docker ps} shows an id; null stays null. */
    public static String shortForm(String id) {
        return id == null || id.length() <= 12 ? id : id.substring(0, 12);
    }

    /** The container of a process: by its v2 path, else by the first v1 path that names one. */
    public static String of(ProcessCgroups cgroups) {
        String id = fromPath(cgroups.unified());
        if (id != null) {
            return id;
        }
        for (String p : cgroups.v1()) {
            id = fromPath(p);
            if (id != null) {
                return id;
            }
        }
        return null;
    }
}
