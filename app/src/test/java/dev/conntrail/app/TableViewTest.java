package dev.conntrail.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpCounters;
import dev.conntrail.cli.UsageException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code conntrail table} shows: filters, conntrail's own rows hidden in local mode, AGE, NETNS, CLOSED marked. */
class TableViewTest {
    private static final Instant NOW = Instant.now();

    @Test
    void filtersSelectByEveryFieldTheyName() {
        Connection web = row("web-1", "nginx", 10, 4026531840L, 443, 50000, ConnectionState.OPEN);
        Connection db = row("db-1", "postgres", 20, 4026532000L, 5432, 40000, ConnectionState.CLOSED);
        assertThat(RowFilter.of(List.of("host=web-1"))).accepts(web).rejects(db);
        assertThat(RowFilter.of(List.of("comm=postgres"))).accepts(db).rejects(web);
        assertThat(RowFilter.of(List.of("pid=10"))).accepts(web).rejects(db);
        assertThat(RowFilter.of(List.of("netns=4026532000"))).accepts(db).rejects(web);
        assertThat(RowFilter.of(List.of("state=closed"))).accepts(db).rejects(web);
        assertThat(RowFilter.of(List.of("port=50000"))).as("remote port").accepts(web).rejects(db);
        assertThat(RowFilter.of(List.of("port=5432"))).as("local port").accepts(db).rejects(web);
        assertThat(RowFilter.of(List.of("host=web-1", "state=CLOSED"))).as("all must hold").rejects(web, db);
        assertThat(RowFilter.of(List.of())).accepts(web, db);
        web.setContainer("4a6c1e0e1b8c0a7f5c3a7e1d2b9f8a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a");
        assertThat(RowFilter.of(List.of("container=4a6c1e0e1b8c"))).as("docker ps's short id").accepts(web).rejects(db);
        assertThat(RowFilter.of(List.of("container=" + web.getContainer()))).accepts(web).rejects(db);
        assertThat(RowFilter.of(List.of("container=ffff"))).rejects(web, db);
    }

    @Test
    void aBadFilterSaysWhatIsWanted() {
        assertThatThrownBy(() -> RowFilter.of(List.of("user=root"))).isInstanceOf(UsageException.class)
                .hasMessageContaining("--filter user=root").hasMessageContaining("host, comm, pid, netns, state, port, container");
        assertThatThrownBy(() -> RowFilter.of(List.of("pid=abc"))).isInstanceOf(UsageException.class)
                .hasMessageContaining("abc is not a number");
        assertThatThrownBy(() -> RowFilter.of(List.of("state=LISTEN"))).isInstanceOf(UsageException.class)
                .hasMessageContaining("OPEN or CLOSED");
        assertThatThrownBy(() -> RowFilter.of(List.of("host"))).isInstanceOf(UsageException.class);
    }

    @Test
    void localModeHidesTheRowsOfItsOwnProcessAndSaysHowMany() {
        long self = ProcessHandle.current().pid();
        TableCommand.TableView view = new TableCommand.TableView(RowFilter.all().hidingPid(self));
        view.apply("own", row("local", "kafka-producer-", (int) self, 1L, 41000, 9092, ConnectionState.OPEN));
        view.apply("other", row("local", "curl", 4242, 1L, 41001, 443, ConnectionState.OPEN));
        String shown = view.render(10, "connections");
        assertThat(shown).contains("1 rows (1 open, 0 closed), 1 hidden", "curl").doesNotContain("kafka-producer-");
        assertThat(view.isShown("own")).isFalse();
        assertThat(view.isShown("other")).isTrue();
    }

    @Test
    void closedRowsAreMarkedWithTheirReasonAndDimmedOnATerminal() {
        TableCommand.TableView view = new TableCommand.TableView();
        view.apply("a", row("h", "curl", 1, 1L, 1000, 80, ConnectionState.CLOSED));
        Connection lost = row("h", "ssh", 2, 1L, 1001, 22, ConnectionState.CLOSED);
        lost.setCloseReason(CloseReason.HOST_LOST);
        view.apply("b", lost);
        view.apply("c", row("h", "nginx", 3, 1L, 1002, 443, ConnectionState.OPEN));
        String plain = view.render(10, "connections");
        assertThat(plain).contains("x CLOSED ", "x CLOSED host_lost", "OPEN ").doesNotContain("\033[");
        String terminal = view.render(10, "connections", true);
        assertThat(terminal.lines().filter(l -> l.contains("x CLOSED"))).allMatch(l -> l.startsWith("\033[2m") && l.endsWith("\033[0m"));
        assertThat(terminal.lines().filter(l -> l.contains("nginx"))).noneMatch(l -> l.contains("\033["));
    }

    @Test
    void ageIsHowLongTheConnectionIsOrWasOpenAndNetnsIsShown() {
        Connection open = row("h", "curl", 1, 4026531840L, 1000, 80, ConnectionState.OPEN);
        open.setOpenedAt(NOW.minusSeconds(90));
        Connection closed = row("h", "curl", 1, 1L, 1001, 80, ConnectionState.CLOSED);
        closed.setOpenedAt(NOW.minusSeconds(7200));
        closed.setClosedAt(NOW.minusSeconds(7200 - 3));
        Connection snapshot = row("h", "curl", 1, 1L, 1002, 80, ConnectionState.OPEN);
        Connection old = row("h", "curl", 1, 1L, 1003, 80, ConnectionState.OPEN);
        old.setOpenedAt(NOW.minus(Duration.ofHours(27)));
        assertThat(TableCommand.TableView.age(open, NOW)).isEqualTo("1m30s");
        assertThat(TableCommand.TableView.age(closed, NOW)).as("until it closed").isEqualTo("3s");
        assertThat(TableCommand.TableView.age(snapshot, NOW)).as("opening not seen").isEqualTo("-");
        assertThat(TableCommand.TableView.age(old, NOW)).isEqualTo("1d03h");
        TableCommand.TableView view = new TableCommand.TableView();
        open.setContainer("4a6c1e0e1b8c0a7f5c3a7e1d2b9f8a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a");
        view.apply("o", open);
        assertThat(view.render(10, "connections")).contains("NETNS", "AGE", "4026531840", "1m30s", "CONTAINER", "4a6c1e0e1b8c ")
                .doesNotContain("4a6c1e0e1b8c0");
    }

    @Test
    void aClosedRowShowsWhatItSentAndReceivedItsRetransmitsAndRtt() {
        Connection closed = row("h", "curl", 1, 1L, 1000, 80, ConnectionState.CLOSED);
        closed.setCounters(new TcpCounters(1_000_002L, 2_345L, 0L, 40L, 30L, 3L, 57L));
        TableCommand.TableView view = new TableCommand.TableView();
        view.apply("c", closed);
        view.apply("o", row("h", "nginx", 2, 1L, 1001, 80, ConnectionState.OPEN));
        String shown = view.render(10, "connections");
        assertThat(shown.lines().filter(l -> l.startsWith("HOST"))).singleElement()
                .satisfies(l -> assertThat(l).containsSubsequence("AGE", "SENT", "RCVD", "RETR", "RTT", "UPDATED"));
        assertThat(shown.lines().filter(l -> l.contains("curl"))).singleElement()
                .satisfies(l -> assertThat(l).containsSubsequence(" 1.0M ", " 2.3k ", " 3 ", " 57us "));
        assertThat(shown.lines().filter(l -> l.contains("nginx"))).singleElement()
                .satisfies(l -> {
                    List<String> cells = List.of(l.trim().split("\\s+"));
                    assertThat(cells.subList(cells.size() - 5, cells.size() - 1)).as("SENT RCVD RETR RTT: none read yet")
                            .containsExactly("-", "-", "-", "-");
                });
    }

    private static Connection row(String host, String comm, int pid, long netns, int lport, int rport, ConnectionState state) {
        return Connection.newBuilder().setHost(host).setNetns(netns).setFamily(Family.IPV4).setLaddr("10.0.0.1").setLport(lport)
                .setRaddr("10.0.0.2").setRport(rport).setDirection(Direction.OUTGOING).setPid(pid).setComm(comm).setState(state)
                .setCloseReason(state == ConnectionState.CLOSED ? CloseReason.CLOSED : null)
                .setUpdatedAt(NOW).setSource(Source.EBPF).build();
    }
}
