package dev.conntrail.producer.doctor;

import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs a probe so that nothing it throws stops the doctor: a loader's exception, a missing native library (JNA's
 * link errors) or a bug becomes an "unavailable" check naming the error.
 */
final class Guard {
    private Guard() {
    }

    static Check check(String name, Supplier<Check> probe) {
        try {
            return probe.get();
        } catch (RuntimeException | LinkageError e) {
            return failed(name, e);
        }
    }

    static <T> T value(Supplier<T> probe, Function<Throwable, T> onFailure) {
        try {
            return probe.get();
        } catch (RuntimeException | LinkageError e) {
            return onFailure.apply(e);
        }
    }

    /** The check of a probe that failed with {@code e}. */
    static Check failed(String name, Throwable e) {
        String msg = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return Check.loss(name, Status.unavailable, "the probe failed: " + msg, "unknown: the doctor could not tell",
                "run with --verbose and report the error").withDetail(msg);
    }
}
