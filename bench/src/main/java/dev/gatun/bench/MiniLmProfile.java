package dev.gatun.bench;

import dev.gatun.MemoryPool;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.models.bert.MiniLm;
import dev.gatun.models.bert.SentenceEmbedder;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the time of one MiniLM embedding goes, per op, on one backend: {@code gatun bench
 * --profile native}. Each op's time inside the backend is measured by {@link ProfiledBackend};
 * what the forward spends outside the backend (checks, tensor objects, scopes) and what
 * {@code embed} spends outside the forward (tokenizing, reading the hidden states back,
 * pooling) are the differences.
 *
 * <p>A plain timing loop, not JMH: the point is the split, which needs every op timed inside
 * one forward; the totals agree with {@link MiniLmBenchmark} to within noise.
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
        int[][] tokens = new int[b][];
        int t = 0;
        for (int i = 0; i < b; i++) {
            tokens[i] = embedder.tokenizer().encode(texts.get(i)).ids();
            t = Math.max(t, tokens[i].length);
        }
        int[] flat = new int[b * t];
        int[] lengths = new int[b];
        for (int i = 0; i < b; i++) {
            System.arraycopy(tokens[i], 0, flat, i * t, tokens[i].length);
            lengths[i] = tokens[i].length;
        }

        int runs = b == 1 ? SINGLE_RUNS : BATCH_RUNS;
        for (int i = 0; i < runs; i++) {
            embedder.embed(texts);
        }
        long embedStart = System.nanoTime();
        for (int i = 0; i < runs; i++) {
            embedder.embed(texts);
        }
        double embedNs = (System.nanoTime() - embedStart) / (double) runs;

        profiled.reset();
        double forwardNs;
        try (Scope inputs = Scope.open();
             MemoryPool pool = MemoryPool.create(SentenceEmbedder.POOL_BYTES)) {
            Tensor ids = Tensor.fromInts(inputs, flat, b, t);
            Tensor len = Tensor.fromInts(inputs, lengths, b);
            long start = System.nanoTime();
            for (int i = 0; i < runs; i++) {
                try (Scope scope = Scope.open(pool)) { // as SentenceEmbedder does
                    embedder.model().forward(new Ops(profiled, scope), ids, len);
                }
            }
            forwardNs = (System.nanoTime() - start) / (double) runs;
        }

        out.printf(Locale.ROOT, "%nMiniLM on %s, B=%d, T=%d: embed %.3f ms, forward %.3f ms"
                + " (per call, mean of %d)%n", profiled.name(), b, t, embedNs / 1e6,
                forwardNs / 1e6, runs);
        out.printf(Locale.ROOT, "  %-38s %8s %10s %7s%n", "where", "calls", "ms", "share");
        double inside = 0;
        for (Map.Entry<String, long[]> e : profiled.totals().entrySet()) {
            double ns = e.getValue()[1] / (double) runs;
            inside += e.getKey().equals("(allocate)") ? 0 : ns;
            row(out, e.getKey(), e.getValue()[0] / (double) runs, ns, embedNs);
        }
        double allocate = profiled.totals().getOrDefault("(allocate)", new long[2])[1]
                / (double) runs;
        row(out, "forward outside the backend", Double.NaN, forwardNs - inside - allocate,
                embedNs);
        row(out, "embed outside the forward", Double.NaN, embedNs - forwardNs, embedNs);
    }

    private static void row(PrintStream out, String where, double calls, double ns,
                            double total) {
        out.printf(Locale.ROOT, "  %-38s %8s %10.3f %6.1f%%%n", where,
                Double.isNaN(calls) ? "" : String.format(Locale.ROOT, "%.0f", calls), ns / 1e6,
                100 * ns / total);
    }
}
