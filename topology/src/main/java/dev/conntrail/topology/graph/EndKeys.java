package dev.conntrail.topology.graph;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Keys of {@code connection-ends}: {@code meeting key|role|connection id}. The meeting key has five segments
 * ({@link MeetingKeys}), so it ends at the fifth {@code |}; ends are placed by it alone, so both ends of a
 * connection reach one task.
 */
final class EndKeys {
    private static final int MEETING_SEGMENTS = 5;

    private EndKeys() {
    }

    static String of(String meetingKey, Role role, String connectionId) {
        return meetingKey + '|' + role.code + '|' + connectionId;
    }

    /** The meeting key an end key starts with, with its trailing {@code |}: the prefix of all ends that meet there. */
    static String meetingPrefix(String endKey) {
        int at = -1;
        for (int i = 0; i < MEETING_SEGMENTS; i++) {
            at = endKey.indexOf('|', at + 1);
            if (at < 0) throw new IllegalArgumentException("not an end key: " + endKey);
        }
        return endKey.substring(0, at + 1);
    }

    static Role role(String endKey) {
        return Role.ofCode(endKey.charAt(meetingPrefix(endKey).length()));
    }

    /** docs/design.md, "The service graph": the one topic not placed by host, but by meeting key. */
    static final StreamPartitioner<String, Object> BY_MEETING_KEY = (topic, key, value, partitions) -> {
        String meeting = meetingPrefix(key);
        byte[] bytes = meeting.substring(0, meeting.length() - 1).getBytes(StandardCharsets.UTF_8);
        return Optional.of(Set.of(Utils.toPositive(Utils.murmur2(bytes)) % partitions));
    };
}
