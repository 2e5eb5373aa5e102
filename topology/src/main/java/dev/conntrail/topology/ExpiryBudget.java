package dev.conntrail.topology;

/**
 * Time for writing due tombstones, shared by the tasks of one stream thread. Each task has its own
 * punctuator, so a per-task slice multiplied by the tasks: six tasks with a window's closes due at
 * once took 6 x 15 ms of every 100 ms, and the input's CLOSE -> CLOSED latency went to ~0.8 s in that
 * second (BENCHMARKS.md, "Topology"). A period starts at the first punctuation whose wall-clock time
 * is a punctuation interval past the previous period's start (in tests: the driver's mocked clock).
 */
final class ExpiryBudget {
    private static final ThreadLocal<ExpiryBudget> OF_THREAD = ThreadLocal.withInitial(ExpiryBudget::new);

    private long periodStartMs = Long.MIN_VALUE;
    private long spentNanos;

    static ExpiryBudget ofThisThread() {
        return OF_THREAD.get();
    }

    /**
     * Forgets this thread's period and spending. For tests: fixtures that run one after another on one
     * thread, each with a mocked clock starting at the same instant, would otherwise see the time an
     * earlier fixture spent in what looks like the same period.
     */
    static void forgetThisThread() {
        OF_THREAD.remove();
    }

    /** Nanoseconds left of {@code perPeriodNanos} in the period that {@code nowMs} falls in. */
    long remaining(long nowMs, long periodMs, long perPeriodNanos) {
        if (periodStartMs == Long.MIN_VALUE || nowMs - periodStartMs >= periodMs || nowMs < periodStartMs) {
            periodStartMs = nowMs;
            spentNanos = 0;
        }
        return perPeriodNanos - spentNanos;
    }

    void spend(long nanos) {
        spentNanos += nanos;
    }
}
