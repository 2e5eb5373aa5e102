package dev.conntrail.producer.bpf.layout;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every record, enum and name the Java side shares with bpf/ agrees with the C side: the layout classes of this
 * package against the BTF of bpf/layouts.c (every shared type, built with bpf/Makefile's flags) and of the
 * committed objects (the types their maps name, their programs and maps). A struct compares whole: size, and
 * each member's name, offset and size in order, so a field added, moved or resized in C fails here until its
 * layout class says the same. Needs clang-14 and bpftool (scripts/install-test-deps), not root.
 */
class BpfLayoutKernelTest {
    private static final List<StructLayout> STRUCTS = List.of(CtEventLayout.STRUCT, CtCountersLayout.STRUCT, CtConfigLayout.STRUCT,
            CtListenerKeyLayout.STRUCT, CtOwnerLayout.STRUCT, SockiterRecLayout.STRUCT, NsiterRecLayout.STRUCT);
    private static final List<CEnum> ENUMS = List.of(CtEventLayout.TYPES, CtEventLayout.FLAG_BITS, CtCounterLayout.ENUM);
    private static final List<BpfObjectNames> OBJECTS = List.of(TracerObject.NAMES, SockiterObject.NAMES);
    private static Btf headers;

    @BeforeAll
    static void buildTheLayoutsObject() throws Exception {
        Path bpf = Path.of("..", "bpf").toAbsolutePath().normalize();
        Path out = Path.of("target", "bpf-layout", "layouts.bpf.o").toAbsolutePath();
        Process make = new ProcessBuilder("make", "-s", "-C", bpf.toString(), "object",
                "SOURCE=" + bpf.resolve("layouts.c"), "OBJECT=" + out).redirectErrorStream(true).start();
        String log = new String(make.getInputStream().readAllBytes());
        assertThat(make.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(make.exitValue()).as("make -C bpf object (clang-14 from scripts/install-test-deps): %s", log).isZero();
        headers = Btf.of(out);
    }

    @Test
    void everyStructMatchesTheHeaders() {
        for (StructLayout java : STRUCTS) {
            assertThat(differences(java, headers.struct(java.name()))).as("struct %s", java.name()).isEmpty();
        }
    }

    @Test
    void everyEnumMatchesTheHeaders() {
        for (CEnum java : ENUMS) {
            assertThat(headers.enumValues(java.name())).as("enum %s in bpf/", java.name()).isNotNull()
                    .containsExactlyEntriesOf(java.values());
        }
    }

    @Test
    void theCommittedObjectsHoldTheProgramsMapsAndStructsJavaNames() throws Exception {
        int structsSeen = 0;
        for (BpfObjectNames names : OBJECTS) {
            Btf object = Btf.of(committed(names.resource()));
            assertThat(object.programs()).as("programs of %s", names.resource()).containsAll(names.programs());
            assertThat(object.maps()).as("maps of %s", names.resource()).containsAll(names.maps());
            for (StructLayout java : STRUCTS) {
                StructLayout c = object.struct(java.name());
                if (c != null) { // the objects keep only the types their maps and hooks name
                    structsSeen++;
                    assertThat(differences(java, c)).as("struct %s in %s", java.name(), names.resource()).isEmpty();
                }
            }
        }
        assertThat(structsSeen).as("ct_event, ct_config, ct_listener_key, ct_owner are map types of the tracer").isGreaterThanOrEqualTo(4);
    }

    @Test
    void aDriftedFieldIsNamed() {
        StructLayout drifted = new StructLayout("ct_config", 12);
        drifted.field("wakeup_bytes", 0, 4);
        drifted.field("cpus", 4, 4);
        drifted.field("accept_exact", 8, 2);
        assertThat(differences(drifted, headers.struct("ct_config")))
                .containsExactly("field 1: Java cpus at 4 (4 bytes), C accept_exact at 4 (4 bytes)",
                        "field 2: Java accept_exact at 8 (2 bytes), C cpus at 8 (4 bytes)");
        assertThat(differences(new StructLayout("ct_configuration", 12), null)).containsExactly("no struct ct_configuration in bpf/");
    }

    /** What differs between the Java layout and the C struct, one line per difference. */
    private static List<String> differences(StructLayout java, StructLayout c) {
        List<String> out = new ArrayList<>();
        if (c == null) {
            out.add("no struct " + java.name() + " in bpf/");
            return out;
        }
        if (java.size() != c.size()) {
            out.add("size: Java " + java.size() + ", C " + c.size());
        }
        int n = Math.max(java.fields().size(), c.fields().size());
        for (int i = 0; i < n; i++) {
            StructLayout.Field j = i < java.fields().size() ? java.fields().get(i) : null;
            StructLayout.Field k = i < c.fields().size() ? c.fields().get(i) : null;
            if (j == null || !j.equals(k)) {
                out.add("field " + i + ": Java " + describe(j) + ", C " + describe(k));
            }
        }
        return out;
    }

    private static String describe(StructLayout.Field f) {
        return f == null ? "none" : f.name() + " at " + f.offset() + " (" + f.size() + " bytes)";
    }

    private static Path committed(String resource) throws Exception {
        Path file = Files.createDirectories(Path.of("target", "bpf-layout")).resolve(Path.of(resource).getFileName());
        try (InputStream in = BpfLayoutKernelTest.class.getResourceAsStream(resource)) {
            assertThat(in).as("%s on the classpath", resource).isNotNull();
            Files.write(file, in.readAllBytes());
        }
        return file;
    }
}
