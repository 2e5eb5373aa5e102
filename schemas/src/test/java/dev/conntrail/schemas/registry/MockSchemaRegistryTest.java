package dev.conntrail.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MockSchemaRegistryTest {
    private final String scope = "mock-test-" + UUID.randomUUID();
    private final MockSchemaRegistry reg = MockSchemaRegistry.forScope(scope);

    @AfterEach
    void drop() {
        MockSchemaRegistry.dropScope(scope);
    }

    private static Schema record(String fields) {
        return new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[" + fields + "]}");
    }

    private static final String A = "{\"name\":\"a\",\"type\":\"int\"}";
    private static final String C = "{\"name\":\"c\",\"type\":\"int\"}";
    private static final String B_REQUIRED = "{\"name\":\"b\",\"type\":\"string\"}";
    private static final String B_DEFAULT = "{\"name\":\"b\",\"type\":\"string\",\"default\":\"x\"}";

    /** Adding a required field breaks old data for new readers; removing one breaks old readers. */
    @ParameterizedTest
    @CsvSource({
        "NONE,                true,  true",
        "BACKWARD,            false, true",
        "BACKWARD_TRANSITIVE, false, true",
        "FORWARD,             true,  false",
        "FORWARD_TRANSITIVE,  true,  false",
        "FULL,                false, false",
        "FULL_TRANSITIVE,     false, false"})
    void levelsJudgeAddedAndRemovedRequiredFields(CompatibilityLevel level, boolean addAllowed, boolean removeAllowed) {
        reg.setCompatibility("add", level);
        reg.register("add", record(A));
        assertThat(reg.compatibilityProblems("add", record(A + "," + B_REQUIRED)).isEmpty()).isEqualTo(addAllowed);

        reg.setCompatibility("remove", level);
        reg.register("remove", record(A + "," + C));
        assertThat(reg.compatibilityProblems("remove", record(A)).isEmpty()).isEqualTo(removeAllowed);
    }

    @Test
    void transitiveLevelsCheckEveryEarlierVersionNotJustTheLatest() {
        for (CompatibilityLevel level : new CompatibilityLevel[] {CompatibilityLevel.BACKWARD,
                CompatibilityLevel.BACKWARD_TRANSITIVE}) {
            String s = "s-" + level;
            reg.setCompatibility(s, CompatibilityLevel.NONE);
            reg.register(s, record(A));
            reg.register(s, record(A + "," + B_DEFAULT));
            reg.setCompatibility(s, level);
            // reads v2 data (b present) but not v1 data (b missing, no default)
            Schema v3 = record(A + "," + B_REQUIRED);
            assertThat(reg.compatibilityProblems(s, v3).isEmpty()).as(level.name())
                    .isEqualTo(level == CompatibilityLevel.BACKWARD);
        }
    }

    @Test
    void idsAreGlobalPerScopeAndVersionsPerSubject() {
        int id1 = reg.register("x-value", record(A));
        assertThat(reg.register("y-value", record(A))).isEqualTo(id1);
        assertThat(reg.register("x-value", record(A))).isEqualTo(id1);
        int id2 = reg.register("x-value", record(A + "," + B_DEFAULT));
        assertThat(id2).isNotEqualTo(id1);
        assertThat(reg.latest("x-value").version()).isEqualTo(2);
        assertThat(reg.lookup("x-value", record(A)).version()).isEqualTo(1);
        assertThat(MockSchemaRegistry.forScope(scope)).isSameAs(reg);
        assertThat(reg.compatibility("x-value")).isEqualTo(CompatibilityLevel.BACKWARD);
        assertThatThrownBy(() -> reg.register("x-value", record(A + "," + B_DEFAULT + "," + C)))
                .isInstanceOf(IncompatibleSchemaException.class).hasMessageContaining("x-value")
                .hasMessageContaining("READER_FIELD_MISSING_DEFAULT_VALUE");
    }
}
