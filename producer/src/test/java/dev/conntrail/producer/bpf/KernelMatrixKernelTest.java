package dev.conntrail.producer.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.testkit.Root;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs scripts/kernel-matrix (Debian's kernels booted under QEMU, each loading, attaching and exercising
 * every program of the committed objects; docs/kernels.md) and checks that on every kernel it booted the
 * agent has a full path: the classic tracepoint program (the tracer's floor) sees connections, nsiter
 * works, and the stored-cookie socket iterator works wherever the kernel has bpf_sock_from_file (5.11+);
 * before that the snapshot takes sock_diag, as documented. The host kernel is EveryProgramLoadsKernelTest's.
 * Root only (CI is root); downloads the kernels once (cached under ~/.cache/conntrail/kernel-matrix).
 */
class KernelMatrixKernelTest {

    @Test
    void everyDebianKernelGivesTheAgentAFullPath() throws Exception {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Path out = Files.createTempDirectory("kmatrix");
        ProcessBuilder pb = new ProcessBuilder(repo.resolve("scripts/kernel-matrix").toString(), "--no-host")
                .directory(repo.toFile()).redirectErrorStream(true).redirectOutput(out.resolve("console.txt").toFile());
        pb.environment().put("KMATRIX_OUT", out.toString());
        Process p = pb.start();
        p.getOutputStream().close();
        assertThat(p.waitFor(15, TimeUnit.MINUTES)).as("kernel-matrix ends within 15 minutes").isTrue();
        String console = Files.readString(out.resolve("console.txt"));
        assertThat(p.exitValue()).as(console).isZero();

        Map<String, Map<String, String[]>> byKernel = new HashMap<>();
        try (Stream<Path> files = Files.list(out.resolve("results"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String kernel = null;
                Map<String, String[]> rows = new HashMap<>();
                for (String line : Files.readAllLines(f)) {
                    String[] c = line.split("\t");
                    if (c[0].equals("kmatrix-info") && c[1].equals("kernel")) {
                        kernel = c[2];
                    } else if (c[0].equals("kmatrix-row")) {
                        rows.put(c[2], c); // program name -> loads, attaches, sees in c[4..6]
                    }
                }
                if (kernel != null) {
                    byKernel.put(kernel, rows);
                }
            }
        }
        assertThat(byKernel.keySet()).as("bookworm's 6.1 among the kernels booted").anyMatch(k -> k.startsWith("6.1."));
        List<String> seen = new ArrayList<>();
        byKernel.forEach((kernel, rows) -> {
            seen.add(kernel);
            assertThat(works(rows, "ct_state_tp")).as("%s: classic tracepoint program sees connections", kernel).isTrue();
            assertThat(works(rows, "nsiter")).as("%s: nsiter", kernel).isTrue();
            if (atLeast(kernel, 5, 11)) {
                assertThat(works(rows, "sockiter_stored")).as("%s: stored-cookie socket iterator", kernel).isTrue();
            }
        });
        System.out.println("kernel matrix checked on " + seen);
    }

    private static boolean works(Map<String, String[]> rows, String program) {
        String[] r = rows.get(program);
        return r != null && r[4].equals("yes") && r[5].equals("yes") && r[6].equals("yes");
    }

    private static boolean atLeast(String kernel, int major, int minor) {
        String[] v = kernel.split("[.-]");
        int ma = Integer.parseInt(v[0]);
        int mi = Integer.parseInt(v[1]);
        return ma > major || ma == major && mi >= minor;
    }
}
