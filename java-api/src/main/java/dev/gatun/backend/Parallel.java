package dev.gatun.backend;

import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Runs the independent tasks of one op on the common fork-join pool when there is enough
 * work to pay for it, else on the calling thread.
 *
 * <p>Memory from a confined arena may only be touched by its owner thread, so an op whose
 * tensors live there runs on the calling thread whatever its size.
 */
final class Parallel {
    /** Below this many multiply-adds (or element visits) in all, one thread is faster. */
    static final long MIN_WORK = 1L << 18;

    private static final boolean MULTICORE = Runtime.getRuntime().availableProcessors() > 1;

    // a thread that owns no arena: a segment it may access is not confined
    private static final Thread STRANGER = Thread.ofVirtual().unstarted(() -> { });

    private Parallel() {}

    /**
     * Runs {@code body} for every task in [0, tasks), in parallel when {@code work} (the
     * total) reaches {@link #MIN_WORK} and every view is accessible from any thread.
     */
    static void forEach(int tasks, long work, IntConsumer body, View... views) {
        if (tasks > 1 && MULTICORE && work >= MIN_WORK && shared(views)) {
            IntStream.range(0, tasks).parallel().forEach(body);
        } else {
            for (int i = 0; i < tasks; i++) {
                body.accept(i);
            }
        }
    }

    private static boolean shared(View... views) {
        for (View v : views) {
            if (v != null && !v.seg.isAccessibleBy(STRANGER)) {
                return false;
            }
        }
        return true;
    }
}
