package dev.conntrail.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.TcpEvent;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class RecordJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void tcpEventIsPlainJsonWithEveryFieldUnwrappedAndTimesInMicros() throws Exception {
        TcpEvent e = Samples.fullEvent();
        String line = RecordJson.toJson(e);
        assertThat(line).doesNotContain("\n").startsWith("{\"record\":\"TcpEvent\"");
        JsonNode n = JSON.readTree(line);
        assertThat(n.get("record").asText()).isEqualTo("TcpEvent");
        assertThat(n.get("type").asText()).isEqualTo("CONNECT");
        assertThat(n.get("family").isTextual()).isTrue(); // union unwrapped: "IPV4", not {"...Family":"IPV4"}
        assertThat(n.get("family").asText()).isEqualTo("IPV4");
        assertThat(n.get("timestamp").isIntegralNumber()).isTrue();
        assertThat(n.get("timestamp").asLong()).isEqualTo(1_764_190_000_123_456L);
        assertThat(n.get("pid").asInt()).isEqualTo(1234);
        assertThat(n.get("cookie").asLong()).isEqualTo(Long.MAX_VALUE);
        assertThat(n.get("comm").asText()).isEqualTo("curl \"x\"\n");
        for (Schema.Field f : TcpEvent.getClassSchema().getFields()) {
            assertThat(n.has(f.name())).as(f.name()).isTrue();
        }
        assertThat(n.size()).isEqualTo(TcpEvent.getClassSchema().getFields().size() + 1);
    }

    /**
     * A process name is anyone's choice: in JSON, C0, DEL, C1, U+2028/U+2029 and the bidirectional overrides are
     * escaped (nothing a terminal acts on reaches it), and every JSON reader gets the same string back.
     */
    @Test
    void controlAndFormatCharactersAreEscapedAndReadBackTheSame() throws Exception {
        TcpEvent e = Samples.fullEvent();
        String comm = "\u001b[2J\u001b]0;t\u0007\u009b\u007f\u2028\u2029\u202e\ud800x😀é";
        e.setComm(comm);
        String line = RecordJson.toJson(e);
        assertThat(line).contains("\"comm\":\"\\u001b[2J\\u001b]0;t\\u0007\\u009b\\u007f\\u2028\\u2029\\u202e\\ud800x😀é\"");
        assertThat(line.codePoints()).allMatch(cp -> cp >= 0x20 && (cp < 0x7f || cp > 0x9f) && cp != 0x2028 && cp != 0x2029
                && cp != 0x202e);
        assertThat(JSON.readTree(line).get("comm").asText()).isEqualTo(comm);
    }

    @Test
    void nullsStayNullAndMillisAreMillis() throws Exception {
        JsonNode hb = JSON.readTree(RecordJson.toJson(Samples.heartbeat()));
        assertThat(hb.get("pid").isNull()).isTrue();
        assertThat(hb.get("family").isNull()).isTrue();

        NatEntry nat = Samples.nat(dev.conntrail.avro.Family.IPV6, null, 99L);
        JsonNode n = JSON.readTree(RecordJson.toJson(nat));
        assertThat(n.get("record").asText()).isEqualTo("NatEntry");
        assertThat(n.get("timestamp").asLong()).isEqualTo(1_764_190_000_123L);
        assertThat(n.get("family").asText()).isEqualTo("IPV6");
        assertThat(n.get("netns").isNull()).isTrue();
        assertThat(n.get("conntrackId").asLong()).isEqualTo(99L);
    }

    @Test
    void connectionNestsTheNatRecordAsAPlainObject() throws Exception {
        Connection c = Samples.openConnection();
        JsonNode n = JSON.readTree(RecordJson.toJson(c));
        assertThat(n.get("record").asText()).isEqualTo("Connection");
        assertThat(n.get("state").asText()).isEqualTo("OPEN");
        assertThat(n.get("openedAt").asLong()).isEqualTo(1_764_190_000_123L);
        assertThat(n.get("nat").isObject()).isTrue();
        assertThat(n.get("nat").has("record")).isFalse();
        assertThat(n.get("nat").get("replyDport").asInt()).isEqualTo(4);
        assertThat(n.get("nat").get("netns").isNull()).isTrue();

        JsonNode closed = JSON.readTree(RecordJson.toJson(Samples.closedUnknown(CloseReason.HOST_LOST)));
        assertThat(closed.get("closeReason").asText()).isEqualTo("HOST_LOST");
        assertThat(closed.get("openedAt").isNull()).isTrue();
        assertThat(closed.get("nat").isNull()).isTrue();
    }
}
