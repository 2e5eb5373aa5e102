package dev.conntrail.app.demo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.Schema;

/**
 * The columns ksqlDB makes of an Avro value schema: names upper-cased, a union with null nullable, enums as
 * STRING (with their symbols kept here to check compared literals), records as STRUCT, timestamp-micros as BIGINT.
 */
record KsqlColumns(Map<String, Column> byName) {

    record Column(String name, boolean nullable, List<String> enumSymbols, boolean micros, KsqlColumns struct) {
        static Column derived(String name) {
            return new Column(name, true, List.of(), false, null);
        }
    }

    static KsqlColumns of(Schema record) {
        Map<String, Column> cols = new LinkedHashMap<>();
        for (Schema.Field f : record.getFields()) {
            Schema type = f.schema();
            boolean nullable = false;
            if (type.getType() == Schema.Type.UNION) {
                nullable = type.getTypes().stream().anyMatch(t -> t.getType() == Schema.Type.NULL);
                type = type.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).findFirst().orElseThrow();
            }
            LogicalType logical = type.getLogicalType();
            String name = f.name().toUpperCase(Locale.ROOT);
            cols.put(name, new Column(name, nullable,
                    type.getType() == Schema.Type.ENUM ? type.getEnumSymbols() : List.of(),
                    logical != null && "timestamp-micros".equals(logical.getName()),
                    type.getType() == Schema.Type.RECORD ? of(type) : null));
        }
        return new KsqlColumns(cols);
    }

    KsqlColumns with(Column c) {
        Map<String, Column> cols = new LinkedHashMap<>(byName);
        cols.put(c.name(), c);
        return new KsqlColumns(cols);
    }

    Column get(String name) {
        return byName.get(name);
    }
}
