package dev.conntrail.producer.proc;

import dev.conntrail.producer.ns.ProcDirs;
import dev.conntrail.producer.ns.Readlink;
import dev.conntrail.producer.snapshot.Owner;
import it.unimi.dsi.fastutil.longs.Long2ObjectOpenHashMap;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Walks {@code /proc/[pid]/fd/*} of every process once and maps each socket inode to its holders.
 * Processes and fds vanish during the walk (ENOENT, ESRCH): skipped, that is normal. Needs
 * CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH for other users' processes.
 */
public final class FdWalker {
    private final Path proc;

    public FdWalker() {
        this(Paths.get("/proc"));
    }

    public FdWalker(Path proc) {
        this.proc = proc;
    }

    public SocketOwners walk() {
        Long2ObjectOpenHashMap<Object> map = new Long2ObjectOpenHashMap<>(1 << 14);
        Readlink links = new Readlink(proc.toString());
        int processes = 0;
        long fds = 0;
        for (int pid : ProcDirs.pids(proc)) {
            String pidDir = proc + "/" + pid;
            String[] names = new File(pidDir + "/fd").list();
            if (names == null) {
                continue; // gone, or a kernel thread we may not read
            }
            processes++;
            Owner owner = null;
            for (String fd : names) {
                fds++;
                long inode = links.bracketNumber(pid, "fd/" + fd, Readlink.SOCKET);
                if (inode <= 0) {
                    continue;
                }
                if (owner == null) {
                    owner = new Owner(pid, comm(pidDir));
                }
                SocketOwners.add(map, inode, owner);
            }
        }
        return new SocketOwners(map, processes, fds);
    }

    /** The process's comm (at most 15 bytes), or null when it exited meanwhile. */
    static String comm(String pidDir) {
        try {
            byte[] b = Files.readAllBytes(Paths.get(pidDir, "comm"));
            int n = b.length;
            if (n > 0 && b[n - 1] == '\n') {
                n--;
            }
            return new String(b, 0, n, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }
}
