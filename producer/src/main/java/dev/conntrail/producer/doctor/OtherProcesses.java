package dev.conntrail.producer.doctor;

import dev.conntrail.producer.ns.ProcDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Processes other than this one to try a permission on: user processes (not kernel threads), from
 * {@code /proc/PID/status}, which anyone may read.
 */
final class OtherProcesses {
    private OtherProcesses() {
    }

    /** A process: pid, real uid, comm. */
    record Proc(int pid, long uid, String comm) {
        @Override
        public String toString() {
            return "pid " + pid + " (" + comm + ", uid " + uid + ")";
        }
    }

    /** The real uid of this process. */
    static long ownUid() {
        Proc p = read(Path.of("/proc/self/status"), (int) ProcessHandle.current().pid());
        return p == null ? -1 : p.uid();
    }

    /**
     * Up to {@code limit} processes other than this one: those of another user than {@code uid} first (lowest pid
     * first), then this user's when {@code sameUserToo}.
     */
    static List<Proc> list(long uid, boolean sameUserToo, int limit) {
        int self = (int) ProcessHandle.current().pid();
        List<Proc> others = new ArrayList<>();
        List<Proc> same = new ArrayList<>();
        for (int pid : ProcDirs.pids(Path.of("/proc"))) {
            if (others.size() >= limit) {
                break;
            }
            if (pid == self) {
                continue;
            }
            Proc p = read(Path.of("/proc", Integer.toString(pid), "status"), pid);
            if (p == null) {
                continue;
            }
            if (p.uid() != uid) {
                others.add(p);
            } else if (sameUserToo && same.size() < limit) {
                same.add(p);
            }
        }
        List<Proc> out = new ArrayList<>(others);
        for (Proc p : same) {
            if (out.size() < limit) {
                out.add(p);
            }
        }
        return out;
    }

    /** The process of a status file, or null when it is gone, a kernel thread, or unreadable. */
    private static Proc read(Path status, int pid) {
        List<String> lines;
        try {
            lines = Files.readAllLines(status);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        String comm = "?";
        long uid = -1;
        for (String l : lines) {
            if (l.startsWith("Name:")) {
                comm = l.substring(5).strip();
            } else if (l.startsWith("Uid:")) {
                String[] f = l.substring(4).strip().split("\\s+");
                try {
                    uid = Long.parseLong(f[0]);
                } catch (NumberFormatException e) {
                    return null;
                }
            } else if (l.startsWith("Kthread:") && l.substring(8).strip().equals("1")) {
                return null;
            } else if (l.startsWith("PPid:") && l.substring(5).strip().equals("2")) {
                return null; // a kernel thread (kernels without the Kthread: line)
            }
        }
        return uid < 0 || pid == 2 ? null : new Proc(pid, uid, comm);
    }
}
