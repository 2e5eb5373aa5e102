package dev.conntrail.producer.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.producer.bpf.layout.SockiterObject;
import dev.conntrail.producer.bpf.layout.TracerObject;
import dev.conntrail.producer.bpf.libbpf.BpfLink;
import dev.conntrail.producer.bpf.libbpf.BpfObject;
import dev.conntrail.producer.bpf.tracer.AcceptPidMode;
import dev.conntrail.producer.bpf.tracer.Tracer;
import dev.conntrail.producer.bpf.tracer.TracerOptions;
import dev.conntrail.producer.snapshot.SockIterSource;
import dev.conntrail.testkit.Root;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On the kernel the suite runs on, every BPF program conntrail ships loads and attaches the way the agent
 * uses it, so a kernel that starts refusing one turns this red instead of sending the agent down a
 * fallback unnoticed. The one expected refusal is named: the iterator program that calls
 * bpf_get_socket_cookie() on {@code sock->sk} (refused where the verifier marks that pointer untrusted,
 * e.g. 6.18.44); its stored-cookie twin must then load. Each program's outcome is printed, for the log.
 */
class EveryProgramLoadsKernelTest {

    @Test
    void everyTracerProgramLoadsAndAttaches() {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        List<String> seen = new ArrayList<>();
        try (Tracer t = Tracer.start(TracerOptions.defaults("h", 1), e -> { })) {
            assertThat(t.hasCookies()).as("tp_btf with socket cookies").isTrue();
            seen.addAll(t.attachedPrograms());
        }
        try (Tracer t = Tracer.start(TracerOptions.defaults("h", 1).withTpBtf(false), e -> { })) {
            seen.addAll(t.attachedPrograms());
        }
        try (Tracer t = Tracer.start(TracerOptions.defaults("h", 1).withAcceptPid(AcceptPidMode.EXACT), e -> { })) {
            seen.addAll(t.attachedPrograms());
        }
        System.out.println("tracer programs attached on " + kernel() + ": " + seen);
        assertThat(seen).containsAll(TracerObject.NAMES.programs());
    }

    @Test
    void theSocketIteratorsLoadWithTheStoredCookieProgramAsTheFloor() {
        assumeTrue(Root.isRoot(), "needs root (CI runs as root)");
        try (SockIterSource it = new SockIterSource()) {
            System.out.println("socket iterator on " + kernel() + ": " + it.socketProgram()
                    + (it.helperRefusal() == null ? "" : " (helper program refused: " + it.helperRefusal() + ")"));
            assertThat(it.processes().pids()).as("nsiter sees processes").isNotEmpty();
            assertThat(it.pass()).as("a pass sees sockets").isNotNull();
        }
        // the program every kernel with BTF must take, whichever one the loader picked above
        try (BpfObject o = BpfObject.openResource(SockiterObject.RESOURCE)) {
            o.program(SockiterObject.PROG_SOCKETS_HELPER_COOKIE).setAutoload(false);
            o.load();
            try (BpfLink l = o.program(SockiterObject.PROG_SOCKETS_STORED_COOKIE).attachIterator();
                    BpfLink n = o.program(SockiterObject.PROG_NAMESPACES).attachIterator()) {
                assertThat(l).isNotNull();
                assertThat(n).isNotNull();
            }
        }
    }

    private static String kernel() {
        return System.getProperty("os.version");
    }
}
