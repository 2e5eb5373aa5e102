package dev.conntrail.producer.bpf.libbpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conntrail.testkit.Root;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The general libbpf bindings against the kernel: a refused program's error carries the verifier's log; map calls. Root. */
class BpfObjectKernelTest {
    private static byte[] elf;

    @BeforeAll
    static void compile() throws Exception {
        Assumptions.assumeTrue(Root.isRoot(), "needs root (runs in CI as root)");
        Path dir = Path.of("target", "bpf-test").toAbsolutePath();
        Files.createDirectories(dir);
        Path src = dir.resolve("refused.bpf.c");
        try (InputStream in = BpfObjectKernelTest.class.getResourceAsStream("/tracer/refused.bpf.c")) {
            Files.write(src, in.readAllBytes());
        }
        Path obj = dir.resolve("refused.bpf.o");
        Path bpf = Path.of("..", "bpf").toAbsolutePath().normalize();
        Process p = new ProcessBuilder("make", "-s", "-C", bpf.toString(), "object", "SOURCE=" + src, "OBJECT=" + obj)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        elf = Files.readAllBytes(obj);
    }

    @Test
    void aRefusedProgramIsNamedWithTheVerifierLog() {
        try (BpfObject o = BpfObject.open(elf, "refused.bpf.o")) {
            assertThat(o.programNames()).containsExactlyInAnyOrder("refused", "accepted");
            assertThatThrownBy(o::load)
                    .isInstanceOf(BpfUnavailableException.class)
                    .hasMessageContaining("the kernel refused BPF object refused.bpf.o")
                    .hasMessageContaining("invalid mem access")
                    .satisfies(e -> assertThat(((BpfUnavailableException) e).reason())
                            .isEqualTo(BpfUnavailableException.Reason.PROGRAM_REFUSED));
        }
    }

    @Test
    void mapsCanBeUpdatedLookedUpIteratedAndDeleted() {
        try (BpfObject o = BpfObject.open(elf, "refused.bpf.o")) {
            o.program("refused").setAutoload(false);
            o.load();
            BpfMap m = o.map("numbers");
            assertThat(m.keySize()).isEqualTo(4);
            assertThat(m.valueSize()).isEqualTo(8);
            assertThat(m.maxEntries()).isEqualTo(4);
            byte[] k1 = le(4, 1);
            m.update(k1, le(8, 99), Libbpf.BPF_ANY);
            assertThat(ByteBuffer.wrap(m.lookup(k1, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong()).isEqualTo(99);
            assertThat(m.lookup(le(4, 2), 8)).isNull();
            assertThat(m.nextKey(null)).isEqualTo(k1);
            assertThat(m.nextKey(k1)).isNull();
            for (int i = 2; i <= 4; i++) {
                m.update(le(4, i), le(8, i), Libbpf.BPF_ANY);
            }
            assertThatThrownBy(() -> m.update(le(4, 5), le(8, 5), Libbpf.BPF_ANY))
                    .isInstanceOf(BpfException.class).satisfies(e -> assertThat(((BpfException) e).errno()).isEqualTo(7)); // E2BIG: full
            assertThat(m.delete(k1)).isTrue();
            assertThat(m.delete(k1)).isFalse();
        }
    }

    private static byte[] le(int size, long v) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        if (size == 4) {
            b.putInt((int) v);
        } else {
            b.putLong(v);
        }
        return b.array();
    }
}
