package dev.conntrail.schemas;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.IndexedRecord;

/**
 * The contract's JSON output (docs/design.md, "Commands", JSON output): one plain JSON object per record — the
 * fields by name, unions unwrapped, enums as symbols, times as integers in the record's units —
 * plus {@code "record": "<RecordName>"}. Not Avro's JSON encoding, which wraps unions.
 */
public final class RecordJson {
    private RecordJson() {
    }

    /** One line of JSON for a top-level record, with its {@code "record"} name first. */
    public static String toJson(IndexedRecord record) {
        StringBuilder sb = new StringBuilder(256);
        sb.append("{\"record\":");
        string(sb, record.getSchema().getName());
        fields(sb, record, true);
        return sb.append('}').toString();
    }

    private static void fields(StringBuilder sb, IndexedRecord record, boolean comma) {
        for (Schema.Field f : record.getSchema().getFields()) {
            if (comma) {
                sb.append(',');
            }
            comma = true;
            string(sb, f.name());
            sb.append(':');
            value(sb, f.schema(), record.get(f.pos()));
        }
    }

    private static void value(StringBuilder sb, Schema schema, Object v) {
        if (v == null) {
            sb.append("null");
            return;
        }
        if (schema.getType() == Schema.Type.UNION) {
            for (Schema branch : schema.getTypes()) {
                if (branch.getType() != Schema.Type.NULL) {
                    value(sb, branch, v);
                    return;
                }
            }
        }
        LogicalType lt = schema.getLogicalType();
        if (v instanceof Instant t) {
            sb.append(lt instanceof LogicalTypes.TimestampMicros
                    ? t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000 : t.toEpochMilli());
        } else if (v instanceof IndexedRecord r) {
            sb.append('{');
            fields(sb, r, false);
            sb.append('}');
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof List<?> list) {
            sb.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) sb.append(',');
                value(sb, schema.getElementType(), list.get(i));
            }
            sb.append(']');
        } else if (v instanceof Map<?, ?> map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) sb.append(',');
                first = false;
                string(sb, e.getKey().toString());
                sb.append(':');
                value(sb, schema.getValueType(), e.getValue());
            }
            sb.append('}');
        } else if (v instanceof GenericContainer || v instanceof Enum<?> || v instanceof CharSequence) {
            string(sb, v.toString());
        } else {
            string(sb, v.toString());
        }
    }

    /**
     * A JSON string literal with the escapes RFC 8259 requires, and more: a process name or a key is anyone's
     * choice, and JSON lines often end up on a terminal. So DEL, the C1 controls, U+2028 and U+2029 (line breaks
     * to JavaScript and to some terminals), the other format characters (the bidirectional overrides among them)
     * and lone surrogates are written as {@code \}{@code uXXXX} too: the same string to any JSON reader, nothing a
     * terminal acts on.
     */
    public static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(c).append(s.charAt(++i)); // a character beyond the BMP, as it is
                    } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c > 0x9f && escapedAbove(c))) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static boolean escapedAbove(char c) {
        return switch (Character.getType(c)) {
            case Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> true;
            case Character.SURROGATE -> true; // a lone one: pairs are written as they are
            default -> false;
        };
    }
}
