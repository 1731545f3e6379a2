package dev.gatun.bench;

import dev.gatun.models.bert.MiniLm;
import dev.gatun.models.bert.SentenceEmbedder;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the time of one MiniLM embedding goes, per op, on one backend: {@code gatun bench
 * --profile native}, for one sentence and for the 32 of the batch benchmark, each embedded
 * as {@code embed} does it (for 32 on a CPU backend: one ragged pass of 478 tokens). Each
 * op's time inside the backend is measured by {@link ProfiledBackend}; what {@code embed}
 * spends outside the backend (tokenizing, checks, tensor objects, scopes, pooling) is the
 * difference.
 *
 * <p>A plain timing loop, not JMH: the point is the split, which needs every op timed inside
 * one call; the totals agree with {@link MiniLmBenchmark} to within noise.
 */
final class MiniLmProfile {
    // calls per measurement: a batch-1 call is ~50 times shorter, and needs more calls for
    // the JIT to settle and for its timings to average out
    private static final int BATCH_RUNS = 30;
    private static final int SINGLE_RUNS = 500;

    private MiniLmProfile() {}

    static void run(String backend, PrintStream out) {
        ProfiledBackend profiled = new ProfiledBackend(BenchBackends.of(backend));
        try (SentenceEmbedder embedder = MiniLm.load(profiled)) {
            profile(embedder, profiled, List.of(Sentences.BATCH.get(2)), out);
            profile(embedder, profiled, Sentences.BATCH, out);
        }
    }

    private static void profile(SentenceEmbedder embedder, ProfiledBackend profiled,
                                List<String> texts, PrintStream out) {
        int b = texts.size();
        int tokens = 0;
        for (String text : texts) {
            tokens += embedder.tokenizer().encode(text).ids().length;
        }
        int runs = b == 1 ? SINGLE_RUNS : BATCH_RUNS;
        for (int i = 0; i < runs; i++) {
            embedder.embed(texts);
        }
        profiled.reset();
        long start = System.nanoTime();
        for (int i = 0; i < runs; i++) {
            embedder.embed(texts);
        }
        double embedNs = (System.nanoTime() - start) / (double) runs;

        out.printf(Locale.ROOT, "%nMiniLM on %s, %d sentence(s), %d tokens: embed %.3f ms per"
                + " call (mean of %d)%n", profiled.name(), b, tokens, embedNs / 1e6, runs);
        out.printf(Locale.ROOT, "  %-38s %8s %10s %7s%n", "where", "calls", "ms", "share");
        double inside = 0;
        for (Map.Entry<String, long[]> e : profiled.totals().entrySet()) {
            double ns = e.getValue()[1] / (double) runs;
            inside += ns;
            row(out, e.getKey(), e.getValue()[0] / (double) runs, ns, embedNs);
        }
        row(out, "outside the backend", Double.NaN, embedNs - inside, embedNs);
    }

    private static void row(PrintStream out, String where, double calls, double ns,
                            double total) {
        out.printf(Locale.ROOT, "  %-38s %8s %10.3f %6.1f%%%n", where,
                Double.isNaN(calls) ? "" : String.format(Locale.ROOT, "%.0f", calls), ns / 1e6,
                100 * ns / total);
    }
}
