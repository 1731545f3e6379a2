package dev.gatun.examples;

import dev.gatun.Backend;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.models.bert.MiniLm;
import dev.gatun.models.bert.SentenceEmbedder;
import java.util.List;

/**
 * The README's "Embedding in inference code" example, compiled and tested: a model loaded
 * once, serving nearest-document queries from many threads, each call in its own Scope.
 */
public final class SemanticSearch implements AutoCloseable {
    private final SentenceEmbedder minilm;
    private final List<String> documents;
    private final Scope corpusScope = Scope.open(); // lives as long as the service
    private final Tensor corpusT;                   // [C, N]: the documents' unit vectors

    public SemanticSearch(Backend backend, List<String> documents) {
        this.minilm = MiniLm.load(backend);         // once: ~133 MB of weights, shared
        this.documents = List.copyOf(documents);
        float[][] e = minilm.embed(this.documents); // [N][C]
        int n = e.length;
        int c = minilm.dimension();
        float[] flat = new float[n * c];
        for (int i = 0; i < n; i++) {
            System.arraycopy(e[i], 0, flat, i * c, c);
        }
        corpusT = Tensor.fromFloats(corpusScope, flat, n, c).transpose(0, 1);
    }

    /** Cosine of {@code query} with each document, [N]; any thread may call it. */
    public float[] scores(String query) {
        float[] q = minilm.embed(query);            // [C], unit length
        try (Scope scope = Scope.open()) {          // this call's memory
            Ops ops = new Ops(minilm.backend(), scope);
            Tensor qt = Tensor.fromFloats(scope, q, 1, q.length);
            return ops.matmul(qt, corpusT).toFloatArray(); // [1, C] x [C, N]
        }                                           // freed here, even on failure
    }

    /** The document closest to {@code query}. */
    public String nearest(String query) {
        float[] s = scores(query);
        int best = 0;
        for (int i = 1; i < s.length; i++) {
            best = s[i] > s[best] ? i : best;
        }
        return documents.get(best);
    }

    @Override
    public void close() {
        corpusScope.close();
        minilm.close();
    }
}
