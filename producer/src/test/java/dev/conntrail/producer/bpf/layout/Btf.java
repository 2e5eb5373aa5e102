package dev.conntrail.producer.bpf.layout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The BTF of one BPF object as {@code bpftool -j btf dump file} prints it: structs, enums, programs, maps. */
final class Btf {
    private final Map<Integer, JsonNode> types = new HashMap<>();

    private Btf(JsonNode dump) {
        for (JsonNode t : dump.get("types")) {
            types.put(t.get("id").asInt(), t);
        }
    }

    static Btf of(Path object) throws IOException, InterruptedException {
        String bpftool = Files.isExecutable(Path.of("/usr/sbin/bpftool")) ? "/usr/sbin/bpftool" : "bpftool";
        Process p = new ProcessBuilder(bpftool, "-j", "btf", "dump", "file", object.toString()).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("bpftool btf dump file " + object + " failed (bpftool comes from"
                    + " scripts/install-test-deps): " + err);
        }
        return new Btf(new ObjectMapper().readTree(out));
    }

    /** The struct's size and members (name, byte offset, byte size) in declaration order, or null if absent. */
    StructLayout struct(String name) {
        JsonNode s = named("STRUCT", name);
        if (s == null) {
            return null;
        }
        StructLayout layout = new StructLayout(name, s.get("size").asInt());
        for (JsonNode m : s.get("members")) {
            layout.field(m.get("name").asText(), m.get("bits_offset").asInt() / 8, sizeOf(m.get("type_id").asInt()));
        }
        return layout;
    }

    /** The enum's constants and values in declaration order, or null if absent. */
    Map<String, Integer> enumValues(String name) {
        JsonNode e = named("ENUM", name);
        if (e == null) {
            return null;
        }
        Map<String, Integer> values = new LinkedHashMap<>();
        for (JsonNode v : e.get("values")) {
            values.put(v.get("name").asText(), v.get("val").asInt());
        }
        return values;
    }

    /** The programs: global functions. */
    List<String> programs() {
        List<String> out = new ArrayList<>();
        types.values().stream().filter(t -> "FUNC".equals(t.get("kind").asText()) && "global".equals(text(t, "linkage")))
                .forEach(t -> out.add(t.get("name").asText()));
        return out;
    }

    /** The maps: the variables of the {@code .maps} section. */
    List<String> maps() {
        List<String> out = new ArrayList<>();
        JsonNode sec = named("DATASEC", ".maps");
        if (sec != null) {
            for (JsonNode v : sec.get("vars")) {
                out.add(types.get(v.get("type_id").asInt()).get("name").asText());
            }
        }
        return out;
    }

    private JsonNode named(String kind, String name) {
        return types.values().stream().filter(t -> kind.equals(t.get("kind").asText()) && name.equals(t.get("name").asText()))
                .findFirst().orElse(null);
    }

    private int sizeOf(int id) {
        JsonNode t = types.get(id);
        return switch (t.get("kind").asText()) {
            case "INT", "STRUCT", "UNION", "ENUM", "ENUM64" -> t.get("size").asInt();
            case "PTR" -> 8;
            case "ARRAY" -> t.get("nr_elems").asInt() * sizeOf(t.get("type_id").asInt());
            case "TYPEDEF", "VOLATILE", "CONST", "RESTRICT", "TYPE_TAG" -> sizeOf(t.get("type_id").asInt());
            default -> throw new IllegalStateException("no size for BTF kind " + t.get("kind").asText() + " (type " + id + ")");
        };
    }

    private static String text(JsonNode t, String field) {
        JsonNode v = t.get(field);
        return v == null ? null : v.asText();
    }
}
