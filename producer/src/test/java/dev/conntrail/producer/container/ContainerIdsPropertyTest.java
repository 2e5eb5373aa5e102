package dev.conntrail.producer.container;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The path and file parsers on arbitrary text: an answer or null, never an exception. */
class ContainerIdsPropertyTest {
    @Provide
    Arbitrary<String> texts() {
        Arbitrary<String> any = Arbitraries.strings().ofMaxLength(300);
        // text made of the characters cgroup files are made of, so lines and ids half-form
        Arbitrary<String> near = Arbitraries.strings().withChars("0123456789abcdef:/-.\nscopedkr").ofMaxLength(400);
        return Arbitraries.oneOf(any, near);
    }

    @Provide
    Arbitrary<String> ids() {
        return Arbitraries.strings().withChars("0123456789abcdef").ofLength(64);
    }

    @Property(tries = 3000)
    void neverThrows(@ForAll("texts") String text) {
        String id = ContainerIds.fromPath(text);
        assertThat(id == null || id.matches("[0-9a-f]{64}")).isTrue();
        ProcessCgroups p = ProcessCgroups.parse(text);
        assertThat(p.unified() == null || p.unified().startsWith("/")).isTrue();
        ContainerIds.of(p);
    }

    @Property(tries = 500)
    void anIdInARuntimesShapeIsFoundBelowAnyParents(@ForAll("ids") String id,
                                                   @ForAll("parents") String parents,
                                                   @ForAll("shapes") String shape) {
        assertThat(ContainerIds.fromPath(parents + "/" + shape.replace("ID", id))).isEqualTo(id);
    }

    @Provide
    Arbitrary<String> parents() {
        return Arbitraries.strings().withChars("abcxyz.-_@0189").ofMinLength(1).ofMaxLength(20).list().ofMaxSize(4)
                .map(l -> l.isEmpty() ? "" : "/" + String.join("/", l));
    }

    @Provide
    Arbitrary<String> shapes() {
        return Arbitraries.of("docker-ID.scope", "ID", "cri-containerd-ID.scope", "crio-ID.scope", "libpod-ID.scope", "libpod-ID");
    }
}
