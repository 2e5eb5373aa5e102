package dev.conntrail.producer.bpf.layout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The resource of one committed BPF object and the program and map names Java looks up in it (checked by BpfLayoutKernelTest). */
public final class BpfObjectNames {
    private final String resource;
    private final List<String> programs = new ArrayList<>();
    private final List<String> maps = new ArrayList<>();

    BpfObjectNames(String resource) {
        this.resource = resource;
    }

    String program(String name) {
        programs.add(name);
        return name;
    }

    String map(String name) {
        maps.add(name);
        return name;
    }

    /** The classpath resource, e.g. {@code /bpf/tracer.bpf.o}. */
    public String resource() {
        return resource;
    }

    public List<String> programs() {
        return Collections.unmodifiableList(programs);
    }

    public List<String> maps() {
        return Collections.unmodifiableList(maps);
    }
}
