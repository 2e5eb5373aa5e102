package dev.conntrail.producer.bpf.tracer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** Two network namespaces of this test (ct-<rand>a/b) joined by a veth pair, 10.200.X.1 and 10.200.X.2; removed on close. */
final class NetnsPair implements AutoCloseable {
    final String a;
    final String b;
    final String addrA;
    final String addrB;

    NetnsPair() throws IOException, InterruptedException {
        int r = ThreadLocalRandom.current().nextInt(1 << 20);
        a = "ct-" + Integer.toHexString(r) + "a";
        b = "ct-" + Integer.toHexString(r) + "b";
        int x = 1 + ThreadLocalRandom.current().nextInt(250);
        addrA = "10.200." + x + ".1";
        addrB = "10.200." + x + ".2";
        String va = "cv" + Integer.toHexString(r) + "a";
        String vb = "cv" + Integer.toHexString(r) + "b";
        try {
            ip("netns", "add", a);
            ip("netns", "add", b);
            ip("link", "add", va, "netns", a, "type", "veth", "peer", "name", vb, "netns", b);
            ip("-n", a, "addr", "add", addrA + "/24", "dev", va);
            ip("-n", b, "addr", "add", addrB + "/24", "dev", vb);
            for (String ns : List.of(a, b)) {
                ip("-n", ns, "link", "set", "lo", "up");
            }
            ip("-n", a, "link", "set", va, "up");
            ip("-n", b, "link", "set", vb, "up");
        } catch (IOException | RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
    }

    /** The inode of a namespace (what the tracer reports as netns). */
    long inode(String name) throws IOException {
        return (Long) Files.getAttribute(Path.of("/run/netns", name), "unix:ino");
    }

    static void ip(String... args) throws IOException, InterruptedException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "ip";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.strip());
        }
    }

    @Override
    public void close() {
        for (String ns : List.of(a, b)) {
            try {
                ip("netns", "del", ns); // deleting a namespace removes its veth end, and so the pair
            } catch (Exception e) {
                // not created
            }
        }
    }
}
