package dev.conntrail.topology.fleet;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the stream threads spent a time window, from a JFR recording's execution samples: the top frames (the
 * method on top of the stack, with the topology's method nearest to it), and the topology's methods present
 * anywhere on the stack, each with its share of the samples.
 */
final class StreamThreadProfile {
    record Share(String method, long samples, double share) {
        @Override
        public String toString() {
            return String.format("%5.1f %%  %s", 100 * share, method);
        }
    }

    record Result(long samples, long runnableSamples, List<Share> top, List<Share> inclusive) {
        /** The share of a window of {@code seconds} the stream threads were seen running Java code, at JFR's 'profile' 10-ms sampling. */
        double busyShare(double seconds) {
            return runnableSamples * 0.010 / seconds;
        }
    }

    private StreamThreadProfile() {
    }

    static Result read(Path jfr, String threadNamePart, Instant from, Instant to, int n) throws IOException {
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> inclusive = new HashMap<>();
        long samples = 0;
        long all = 0;
        try (RecordingFile file = new RecordingFile(jfr)) {
            while (file.hasMoreEvents()) {
                RecordedEvent e = file.readEvent();
                if (!e.getEventType().getName().equals("jdk.ExecutionSample")) continue;
                Instant at = e.getStartTime();
                if (at.isBefore(from) || !at.isBefore(to)) continue;
                RecordedThread t = e.getThread("sampledThread");
                if (t == null || t.getJavaName() == null || !t.getJavaName().contains(threadNamePart)) continue;
                all++;
                if (e.getStackTrace() == null || e.getStackTrace().getFrames().isEmpty()) continue;
                samples++;
                List<RecordedFrame> frames = e.getStackTrace().getFrames();
                String top = name(frames.get(0).getMethod());
                String nearest = null;
                Set<String> seen = new HashSet<>();
                for (RecordedFrame f : frames) {
                    String m = name(f.getMethod());
                    if (m.startsWith("dev.conntrail.")) {
                        if (nearest == null) nearest = m;
                        if (seen.add(m)) inclusive.merge(m, 1L, Long::sum);
                    }
                }
                self.merge(top + (nearest == null || nearest.equals(top) ? "" : "  (in " + nearest + ")"), 1L, Long::sum);
            }
        }
        return new Result(all, samples, top(self, samples, n), top(inclusive, samples, n));
    }

    private static List<Share> top(Map<String, Long> counts, long total, int n) {
        List<Share> out = new ArrayList<>();
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
                .forEach(e -> out.add(new Share(e.getKey(), e.getValue(), total == 0 ? 0 : (double) e.getValue() / total)));
        return out;
    }

    private static String name(RecordedMethod m) {
        return m == null ? "?" : m.getType().getName() + "." + m.getName();
    }
}
