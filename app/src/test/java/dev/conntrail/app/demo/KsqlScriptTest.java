package dev.conntrail.app.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionEdge;
import dev.conntrail.avro.WorkloadEdge;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.TcpEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ksql/connections.sql checked against our Avro schemas the way ksqlDB 7.9 reads them, since no ksqlDB can run
 * here (no image can be pulled and its jars are not on Maven Central): every column the script names exists
 * under ksqlDB's naming (upper-cased; backticks case-sensitive; STRUCT fields through {@code ->}), every enum
 * compared with a literal has that symbol, tables grouped by two or more columns set a key format that holds
 * them (the source's KAFKA is inherited otherwise and cannot), nullable grouping columns go through COALESCE
 * (ksqlDB drops a row whose grouping column is null), tables the script pull-queries are SOURCE tables, and event
 * time is in milliseconds (tcp-events' timestamp is micros).
 */
class KsqlScriptTest {
    private static final Path KSQL = Path.of("..").toAbsolutePath().normalize().resolve("ksql");
    /** The scripts, run in this order: the graph's script stands alone, but is checked with the names of the first. */
    private static final List<Path> SCRIPTS = List.of(KSQL.resolve("connections.sql"), KSQL.resolve("service-graph.sql"));
    private static final Map<String, Schema> TOPICS = Map.of("connections", Connection.getClassSchema(),
            "tcp-events", TcpEvent.getClassSchema(), "conntrack-nat", NatEntry.getClassSchema(),
            "connection-edges", ConnectionEdge.getClassSchema(), "service-graph", WorkloadEdge.getClassSchema());
    private static final Set<String> WORDS = Set.of("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IS", "NULL", "AS",
            "GROUP", "BY", "EMIT", "CHANGES", "WINDOW", "TUMBLING", "HOPPING", "SIZE", "ADVANCE", "SECOND", "SECONDS",
            "MINUTE", "MINUTES", "HOUR", "HOURS", "COUNT", "SUM", "COALESCE", "IFNULL", "UNIX_TIMESTAMP", "TRUE",
            "FALSE", "LIKE", "IN", "CASE", "WHEN", "THEN", "ELSE", "END", "LIMIT");
    private static final Set<String> PSEUDO_COLUMNS = Set.of("ROWTIME", "ROWPARTITION", "ROWOFFSET", "WINDOWSTART", "WINDOWEND");
    private static final Pattern IDENTIFIER = Pattern.compile("`([^`]+)`(?:->(\\w+))?|([A-Za-z_]\\w*)(?:->(\\w+))?");
    private static final Pattern BARE = Pattern.compile("`?[A-Za-z_]\\w*`?");
    private static final Pattern COMPARED_LITERAL = Pattern.compile("(`[^`]+`|[A-Za-z_]\\w*)\\s*=\\s*'([^']*)'");

    private String script;
    private List<KsqlStatement> statements;
    private final Map<String, KsqlColumns> objects = new LinkedHashMap<>();

    @BeforeEach
    void read() throws IOException {
        StringBuilder all = new StringBuilder();
        for (Path p : SCRIPTS) all.append(Files.readString(p)).append('\n');
        script = all.toString();
        statements = KsqlStatement.parseScript(script);
        for (KsqlStatement s : statements) {
            objects.put(s.name(), columnsOf(s));
        }
    }

    @Test
    void theScriptMakesWhatUsersWereToldOf() {
        assertThat(statements).extracting(KsqlStatement::name).contains("CONNECTIONS", "TCP_EVENTS", "OPEN_BY_PROCESS", "OPEN_BY_CONTAINER",
                "NAT_CONNECTIONS", "SHORT_LIVED_CONNECTIONS", "CONNECTS_PER_REMOTE_PER_MINUTE", "CLOSED_CONNECTION_COUNTERS",
                "TRAFFIC_BY_PROCESS_PER_MINUTE", "SERVICE_GRAPH", "CONNECTION_EDGES", "OPEN_EDGES_BY_SERVER");
    }

    @Test
    void everyColumnNamedExistsInTheSchemaUnderKsqlDbNaming() {
        List<String> missing = new ArrayList<>();
        for (KsqlStatement s : statements) {
            if (!s.createsAsSelect()) {
                assertThat(TOPICS).as("topic of %s", s.name()).containsKey(s.with().get("KAFKA_TOPIC"));
                continue;
            }
            KsqlColumns source = objects.get(s.from());
            assertThat(source).as("%s reads %s, created before it", s.name(), s.from()).isNotNull();
            List<String> parts = new ArrayList<>();
            s.select().forEach(i -> parts.add(i.expression()));
            if (s.where() != null) {
                parts.add(s.where());
            }
            parts.addAll(s.groupBy());
            for (String part : parts) {
                for (String name : unknownColumns(part, source)) {
                    missing.add(s.name() + ": " + name);
                }
            }
        }
        assertThat(missing).as("columns ksqlDB would not find").isEmpty();
    }

    @Test
    void enumsAreComparedWithTheirOwnSymbols() {
        List<String> wrong = new ArrayList<>();
        for (KsqlStatement s : statements) {
            if (s.where() == null) {
                continue;
            }
            Matcher m = COMPARED_LITERAL.matcher(s.where());
            while (m.find()) {
                KsqlColumns.Column c = column(objects.get(s.from()), m.group(1));
                if (c != null && !c.enumSymbols().isEmpty() && !c.enumSymbols().contains(m.group(2))) {
                    wrong.add(s.name() + ": " + m.group(1) + " = '" + m.group(2) + "' (symbols " + c.enumSymbols() + ")");
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void tablesGroupedByMoreThanOneColumnSetAKeyFormatThatHoldsThem() {
        for (KsqlStatement s : statements) {
            if (s.groupBy().size() > 1) {
                assertThat(s.with().get("KEY_FORMAT")).as("KEY_FORMAT of %s (grouped by %s)", s.name(), s.groupBy())
                        .isNotNull().isNotEqualToIgnoringCase("KAFKA");
            }
        }
    }

    @Test
    void nullableGroupingColumnsGoThroughCoalesce() {
        for (KsqlStatement s : statements) {
            for (String g : s.groupBy()) {
                KsqlColumns.Column c = BARE.matcher(g).matches() ? column(objects.get(s.from()), g) : null;
                assertThat(c == null || !c.nullable()).as("%s groups by nullable %s: rows where it is null would be "
                        + "dropped; use COALESCE", s.name(), g).isTrue();
            }
        }
    }

    @Test
    void tablesThatArePullQueriedAreSourceTables() {
        Matcher pull = Pattern.compile("--\\s+SELECT [^\n]*? FROM (\\w+)(?![^\n]*EMIT CHANGES)[^\n]*").matcher(script);
        List<String> pulled = new ArrayList<>();
        while (pull.find()) {
            pulled.add(pull.group(1).toUpperCase(Locale.ROOT));
        }
        assertThat(pulled).as("pull queries shown in the script").contains("CONNECTIONS");
        for (String name : pulled) {
            KsqlStatement s = statements.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
            assertThat(s.source() && s.kind().equals("TABLE")).as("%s is pull-queried: CREATE SOURCE TABLE", name).isTrue();
        }
    }

    @Test
    void eventTimeIsInMilliseconds() {
        boolean any = false;
        for (KsqlStatement s : statements) {
            String ts = s.with().get("TIMESTAMP");
            if (ts == null) {
                continue;
            }
            any = true;
            KsqlStatement.SelectItem item = s.select().stream().filter(i -> i.name().equals(ts.toUpperCase(Locale.ROOT)))
                    .findFirst().orElseThrow(() -> new AssertionError(s.name() + ": TIMESTAMP column " + ts + " not selected"));
            boolean readsMicros = referenced(item.expression()).stream()
                    .map(n -> column(objects.get(s.from()), n)).anyMatch(c -> c != null && c.micros());
            if (readsMicros) {
                assertThat(item.expression().replace(" ", "")).as("%s: %s from microseconds", s.name(), ts).contains("/1000");
            }
        }
        assertThat(any).as("a stream on event time").isTrue();
    }

    private KsqlColumns columnsOf(KsqlStatement s) {
        if (!s.createsAsSelect()) {
            KsqlColumns cols = KsqlColumns.of(TOPICS.getOrDefault(s.with().get("KAFKA_TOPIC"), Connection.getClassSchema()));
            for (String key : s.keyColumns()) {
                cols = cols.with(new KsqlColumns.Column(key, false, List.of(), false, null));
            }
            return cols;
        }
        KsqlColumns source = objects.get(s.from());
        KsqlColumns cols = new KsqlColumns(Map.of());
        for (KsqlStatement.SelectItem i : s.select()) {
            KsqlColumns.Column c = BARE.matcher(i.expression()).matches() && source != null ? column(source, i.expression()) : null;
            cols = cols.with(c == null ? KsqlColumns.Column.derived(i.name())
                    : new KsqlColumns.Column(i.name(), c.nullable(), c.enumSymbols(), c.micros(), c.struct()));
        }
        return cols;
    }

    /** The column a name refers to: bare names are upper-cased by ksqlDB, backticked ones are taken as written. */
    private static KsqlColumns.Column column(KsqlColumns cols, String name) {
        String n = name.startsWith("`") ? name.substring(1, name.length() - 1) : name.toUpperCase(Locale.ROOT);
        return cols == null ? null : cols.get(n);
    }

    private static List<String> referenced(String expression) {
        List<String> names = new ArrayList<>();
        Matcher m = IDENTIFIER.matcher(expression.replaceAll("'[^']*'", "''"));
        while (m.find()) {
            if (m.group(1) != null) {
                names.add("`" + m.group(1) + "`");
            } else if (!WORDS.contains(m.group(3).toUpperCase(Locale.ROOT))) {
                names.add(m.group(3));
            }
        }
        return names;
    }

    private static List<String> unknownColumns(String expression, KsqlColumns source) {
        List<String> unknown = new ArrayList<>();
        Matcher m = IDENTIFIER.matcher(expression.replaceAll("'[^']*'", "''"));
        while (m.find()) {
            String name = m.group(1) != null ? "`" + m.group(1) + "`" : m.group(3);
            String field = m.group(1) != null ? m.group(2) : m.group(4);
            if (m.group(1) == null && (WORDS.contains(name.toUpperCase(Locale.ROOT))
                    || PSEUDO_COLUMNS.contains(name.toUpperCase(Locale.ROOT)))) {
                continue;
            }
            KsqlColumns.Column c = column(source, name);
            if (c == null) {
                unknown.add(name);
            } else if (field != null && (c.struct() == null || c.struct().get(field.toUpperCase(Locale.ROOT)) == null)) {
                unknown.add(name + "->" + field);
            }
        }
        return unknown;
    }
}
