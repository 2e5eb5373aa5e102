package dev.conntrail.app.demo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One CREATE statement of a ksqlDB script, taken apart as far as checking its columns needs: what it creates,
 * its WITH properties and, for CREATE ... AS SELECT, the select list, the source, WHERE and GROUP BY. Not a full
 * ksqlDB parser: it reads the statements our script uses (no joins, no subqueries).
 */
record KsqlStatement(String text, boolean source, String kind, String name, Map<String, String> with,
                     List<String> keyColumns, List<SelectItem> select, String from, String where, List<String> groupBy) {

    record SelectItem(String expression, String name) {
    }

    private static final Pattern CREATE = Pattern.compile(
            "CREATE (SOURCE )?(TABLE|STREAM) (?:IF NOT EXISTS )?(\\w+)(.*)", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern WITH = Pattern.compile("WITH \\(([^)]*)\\)", Pattern.CASE_INSENSITIVE);
    private static final Pattern AS_SELECT = Pattern.compile(
            "AS SELECT (.*?) FROM (\\w+)(?: WINDOW \\w+ \\([^)]*\\))?(?: WHERE (.*?))?(?: GROUP BY (.*?))? EMIT CHANGES",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern KEY_COLUMN = Pattern.compile("(\\w+) \\w+ (?:PRIMARY )?KEY", Pattern.CASE_INSENSITIVE);
    private static final Pattern ALIAS = Pattern.compile("(.*) AS (\\w+)", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

    /** The CREATE statements of a script, comments removed; SET and other statements skipped. */
    static List<KsqlStatement> parseScript(String script) {
        List<KsqlStatement> out = new ArrayList<>();
        String noComments = script.replaceAll("--[^\n]*", " ");
        for (String raw : noComments.split(";")) {
            String s = raw.replaceAll("\\s+", " ").trim();
            if (s.regionMatches(true, 0, "CREATE ", 0, 7)) {
                out.add(parse(s));
            }
        }
        return out;
    }

    static KsqlStatement parse(String s) {
        Matcher m = CREATE.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a CREATE TABLE/STREAM statement: " + s);
        }
        String rest = m.group(4);
        Map<String, String> with = new LinkedHashMap<>();
        int selectAt = indexOfIgnoreCase(rest, " AS SELECT ");
        Matcher w = WITH.matcher(selectAt < 0 ? rest : rest.substring(0, selectAt));
        if (w.find()) {
            for (String kv : w.group(1).split(",")) {
                String[] p = kv.split("=", 2);
                with.put(p[0].trim().toUpperCase(Locale.ROOT), p[1].trim().replace("'", ""));
            }
        }
        List<String> keys = new ArrayList<>();
        List<SelectItem> select = new ArrayList<>();
        String from = null;
        String where = null;
        List<String> groupBy = List.of();
        if (selectAt < 0) {
            Matcher k = KEY_COLUMN.matcher(rest.substring(0, Math.max(0, indexOfIgnoreCase(rest, " WITH "))));
            while (k.find()) {
                keys.add(k.group(1).toUpperCase(Locale.ROOT));
            }
        } else {
            Matcher a = AS_SELECT.matcher(rest.substring(selectAt + 1));
            if (!a.find()) {
                throw new IllegalArgumentException("cannot read the SELECT of: " + s);
            }
            for (String item : splitTopLevel(a.group(1))) {
                Matcher al = ALIAS.matcher(item);
                select.add(al.matches() ? new SelectItem(al.group(1).trim(), al.group(2).toUpperCase(Locale.ROOT))
                        : new SelectItem(item, item.replace("`", "").toUpperCase(Locale.ROOT)));
            }
            from = a.group(2).toUpperCase(Locale.ROOT);
            where = a.group(3);
            groupBy = a.group(4) == null ? List.of() : splitTopLevel(a.group(4));
        }
        return new KsqlStatement(s, m.group(1) != null, m.group(2).toUpperCase(Locale.ROOT),
                m.group(3).toUpperCase(Locale.ROOT), with, keys, select, from, where, groupBy);
    }

    boolean createsAsSelect() {
        return from != null;
    }

    /** Splits on commas outside parentheses. */
    static List<String> splitTopLevel(String list) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < list.length(); i++) {
            char c = list.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(list.substring(start, i).trim());
                start = i + 1;
            }
        }
        out.add(list.substring(start).trim());
        return out;
    }

    private static int indexOfIgnoreCase(String s, String part) {
        return s.toUpperCase(Locale.ROOT).indexOf(part.toUpperCase(Locale.ROOT));
    }
}
