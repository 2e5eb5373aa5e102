package dev.conntrail.producer.bpf.layout;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A C enum of bpf/ the Java side uses: its name and the values of its constants (checked by BpfLayoutKernelTest). */
public final class CEnum {
    private final String name;
    private final Map<String, Integer> values = new LinkedHashMap<>();

    CEnum(String name) {
        this.name = name;
    }

    /** Declares the next constant; returns its value. */
    int value(String constant, int value) {
        values.put(constant, value);
        return value;
    }

    public String name() {
        return name;
    }

    public Map<String, Integer> values() {
        return Collections.unmodifiableMap(values);
    }
}
