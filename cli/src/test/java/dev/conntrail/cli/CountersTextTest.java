package dev.conntrail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CountersTextTest {
    @Test
    void bytesInSiUnits() {
        assertThat(CountersText.bytes(null)).isEqualTo("-");
        assertThat(CountersText.bytes(0L)).isEqualTo("0");
        assertThat(CountersText.bytes(999L)).isEqualTo("999");
        assertThat(CountersText.bytes(1000L)).isEqualTo("1.0k");
        assertThat(CountersText.bytes(12_345L)).isEqualTo("12k");
        assertThat(CountersText.bytes(999_999L)).isEqualTo("1.0M");
        assertThat(CountersText.bytes(1_000_002L)).isEqualTo("1.0M");
        assertThat(CountersText.bytes(5_000_000_000L)).isEqualTo("5.0G");
        assertThat(CountersText.bytes(Long.MAX_VALUE)).isEqualTo("9.2E");
    }

    @Test
    void roundTripTimes() {
        assertThat(CountersText.rtt(null)).isEqualTo("-");
        assertThat(CountersText.rtt(57L)).isEqualTo("57us");
        assertThat(CountersText.rtt(1234L)).isEqualTo("1.2ms");
        assertThat(CountersText.rtt(120_400L)).isEqualTo("120ms");
        assertThat(CountersText.rtt(1_500_000L)).isEqualTo("1.5s");
    }
}
