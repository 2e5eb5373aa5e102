package dev.conntrail.producer.bpf.layout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A C struct of bpf/ as the Java side reads or writes it: its name, size and fields in declaration order.
 * Each layout class builds one and takes its offsets from it, so an offset is written once; BpfLayoutKernelTest
 * checks every field against the BTF of the built objects.
 */
public final class StructLayout {
    /** One member: its C name, byte offset and size in bytes. */
    public record Field(String name, int offset, int size) {
    }

    private final String name;
    private final int size;
    private final List<Field> fields = new ArrayList<>();

    StructLayout(String name, int size) {
        this.name = name;
        this.size = size;
    }

    /** Declares the next member; returns its offset. */
    int field(String member, int offset, int bytes) {
        fields.add(new Field(member, offset, bytes));
        return offset;
    }

    public String name() {
        return name;
    }

    public int size() {
        return size;
    }

    public List<Field> fields() {
        return Collections.unmodifiableList(fields);
    }
}
