package dev.conntrail.producer.ns;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;

/** The numeric entries (process ids) of /proc, sorted. */
public final class ProcDirs {
    private ProcDirs() {
    }

    public static int[] pids(Path proc) {
        String[] names = new File(proc.toString()).list();
        if (names == null) {
            return new int[0];
        }
        int[] pids = new int[names.length];
        int n = 0;
        for (String name : names) {
            int pid = parsePid(name);
            if (pid > 0) {
                pids[n++] = pid;
            }
        }
        int[] out = Arrays.copyOf(pids, n);
        Arrays.sort(out);
        return out;
    }

    private static int parsePid(String s) {
        if (s.isEmpty() || s.length() > 10) {
            return -1;
        }
        int v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
