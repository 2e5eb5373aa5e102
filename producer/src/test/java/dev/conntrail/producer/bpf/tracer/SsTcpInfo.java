package dev.conntrail.producer.bpf.tracer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One established socket's counters as iproute2's {@code ss -tin} prints them (tcp_info). ss leaves out a counter
 * that is 0, so an absent one reads 0; {@code rtt:A/B} is srtt/rttvar in ms.
 */
public record SsTcpInfo(long bytesAcked, long bytesReceived, long bytesRetrans, long segsOut, long segsIn, long totalRetrans, long rttUs,
        String line) {
    private static final Pattern RTT = Pattern.compile("\\brtt:([0-9.]+)/");
    private static final Pattern RETRANS = Pattern.compile("\\bretrans:\\d+/(\\d+)");

    /** The socket {@code local} → {@code peer} (addr:port each), read now; fails if ss does not list it. */
    public static SsTcpInfo of(String local, String peer) throws IOException, InterruptedException {
        Process ss = new ProcessBuilder("ss", "-tinH", "state", "established", "src", local, "dst", peer).redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!ss.waitFor(10, TimeUnit.SECONDS) || ss.exitValue() != 0) {
            throw new IllegalStateException("ss -tin failed: " + out);
        }
        String info = out.strip();
        if (info.isEmpty()) {
            throw new IllegalStateException("ss lists no established socket " + local + " -> " + peer);
        }
        Matcher rtt = RTT.matcher(info);
        Matcher retrans = RETRANS.matcher(info);
        return new SsTcpInfo(field(info, "bytes_acked"), field(info, "bytes_received"), field(info, "bytes_retrans"),
                field(info, "segs_out"), field(info, "segs_in"), retrans.find() ? Long.parseLong(retrans.group(1)) : 0,
                rtt.find() ? Math.round(Double.parseDouble(rtt.group(1)) * 1000) : -1, info.replaceAll("\\s+", " "));
    }

    private static long field(String info, String name) {
        Matcher m = Pattern.compile("\\b" + name + ":(\\d+)").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Override
    public String toString() {
        return line;
    }
}
