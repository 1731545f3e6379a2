package dev.gatun.models.bert;

import dev.gatun.Backend;
import dev.gatun.Device;
import dev.gatun.MemoryPool;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.io.ModelFormatException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * Turns sentences into unit-length vectors: tokenizer, {@link BertModel}, mean pooling over
 * the real (non-padding) tokens, then L2 normalisation, as sentence-transformers does for
 * all-MiniLM-L6-v2.
 *
 * <pre>{@code
 * try (SentenceEmbedder embedder = MiniLm.load(Backends.defaultBackend())) {
 *     float[][] e = embedder.embed(List.of("The cat sits.", "A feline rests."));
 *     float cosine = 0;                                   // unit vectors: cosine = dot
 *     for (int i = 0; i < e[0].length; i++) cosine += e[0][i] * e[1][i];
 * }
 * }</pre>
 *
 * <p>Batching, on a CPU backend: texts run in passes of up to {@value #MAX_PASS_TOKENS}
 * tokens, in input order, each pass a ragged batch ({@link BertModel#forwardRagged}): the
 * texts' tokens end to end without padding, each token attending only to its own text's
 * tokens, so every projection multiplies real tokens alone. On a device backend (CUDA)
 * texts run as {@link PaddedBatches} instead (similar lengths together, right-padded): a
 * ragged batch computes its attention one text at a time, one kernel launch per text and
 * layer, which has not been measured on a GPU. Either way a text's embedding does not
 * depend on the texts it runs with, up to float rounding in the kernels (far below 1e-5;
 * none on the Java backend, nor on the native one while a pass stays within 256 tokens).
 *
 * <p>Truncation: each text is cut to {@link #maxTokens()} tokens, [CLS] and [SEP]
 * included; {@link Result#truncated()} counts the texts that were cut. The default,
 * {@value #DEFAULT_MAX_TOKENS}, is what sentence-transformers uses for all-MiniLM-L6-v2
 * ({@code max_seq_length} 256), so embeddings of texts up to 256 tokens match that library;
 * the {@code tokenizer.json} shipped with the ONNX export says 128 (the length the model was
 * fine-tuned on), which would silently cut the second half of longer texts. Any value up to
 * the model's position limit (512 for BERT models) is accepted.
 *
 * <p>Thread safety: {@link #embed} may be called from several threads at once; each call
 * works in its own {@link Scope}. Closing while calls run is the caller's error: they fail
 * with {@link IllegalStateException}.
 *
 * <p>Host memory: each pass's intermediate tensors come from a {@link MemoryPool} that the
 * embedder keeps, so repeated calls reuse memory instead of allocating and clearing it
 * again; at most {@value #POOL_BYTES} bytes stay cached between calls, freed by
 * {@link #close()}.
 *
 * <p>On a device backend (CUDA) the model's weights must be on the device (the loaders in
 * {@link MiniLm} and {@link SentenceEmbedders} put them there); each batch's ids go to the
 * device and its hidden states, B·T·C floats, come back for the pooling, which runs in Java
 * on the host.
 */
public final class SentenceEmbedder implements AutoCloseable {
    /** The default truncation length, special tokens included (see the class notes). */
    public static final int DEFAULT_MAX_TOKENS = 256;
    /**
     * The most tokens one ragged pass runs on a CPU backend (one longer sequence runs alone):
     * about 240 MiB of intermediates on all-MiniLM-L6-v2, within {@link #POOL_BYTES}. Larger
     * passes are faster: the benchmark's 32 sentences (478 tokens) took 30.3 ms in one pass
     * and 34.2 ms in passes of at most 256 (2-core AMD EPYC, bench/RESULTS.md).
     */
    public static final int MAX_PASS_TOKENS = 2048;
    /**
     * The most host memory kept cached between calls: enough for a pass of
     * {@value #MAX_PASS_TOKENS} tokens on all-MiniLM-L6-v2 (every intermediate of the
     * forward pass stays live until the pass ends, about 120 KiB per token).
     */
    public static final long POOL_BYTES = 256L << 20;

    private final BertTokenizer tokenizer;
    private final BertModel model;
    private final Backend backend;
    private final String name;
    private final AutoCloseable weights;
    // null where the C library cannot back a pool (then each pass allocates afresh)
    private final MemoryPool pool = MemoryPool.supported() ? MemoryPool.create(POOL_BYTES)
            : null;

    /**
     * The embeddings of a list of texts, in input order.
     *
     * @param embeddings [n][C] unit vectors
     * @param tokens     [n]: each text's token count after truncation, [CLS] and [SEP]
     *                   included
     * @param truncated  how many texts were longer than {@link #maxTokens()} and were cut
     */
    public record Result(float[][] embeddings, int[] tokens, int truncated) {
        /** The sum of {@link #tokens()}. */
        public long totalTokens() {
            return Arrays.stream(tokens).asLongStream().sum();
        }
    }

    /**
     * An embedder over a tokenizer and a model, run on {@code backend}.
     *
     * @param name    names the model in messages and summaries
     * @param weights closed with this embedder (the scope holding the model's weights), or
     *                null when the caller owns them
     * @throws IllegalArgumentException if the tokenizer's maxTokens exceeds the model's
     *     position limit
     * @throws ModelFormatException naming the tokenizer's file if its vocabulary has more ids
     *     than the model's word embedding has rows (the ids past the table could not be
     *     embedded)
     */
    public SentenceEmbedder(BertTokenizer tokenizer, BertModel model, Backend backend,
                            String name, AutoCloseable weights) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.model = Objects.requireNonNull(model, "model");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.name = Objects.requireNonNull(name, "name");
        this.weights = weights;
        checkMaxTokens(tokenizer.maxTokens(), model.config());
        checkVocabulary(tokenizer, model.config());
    }

    /**
     * Checks a truncation length against a model before anything is loaded.
     *
     * @throws IllegalArgumentException unless 2 <= maxTokens <= the model's position limit
     */
    public static void checkMaxTokens(int maxTokens, BertConfig config) {
        if (maxTokens < 2 || maxTokens > config.maxPositions()) {
            throw new IllegalArgumentException("maxTokens must be in [2, "
                    + config.maxPositions() + "] (the model's position limit,"
                    + " max_position_embeddings), got " + maxTokens);
        }
    }

    /**
     * Checks that every id the tokenizer can produce has a row in the model's word embedding.
     *
     * @throws ModelFormatException naming the tokenizer's file if it has more ids than the
     *     model's vocab_size
     */
    public static void checkVocabulary(BertTokenizer tokenizer, BertConfig config) {
        if (tokenizer.vocabSize() > config.vocabSize()) {
            throw new ModelFormatException(tokenizer.source(), "the tokenizer has "
                    + tokenizer.vocabSize() + " token ids but the model's word embedding has"
                    + " V=" + config.vocabSize() + " rows (vocab_size); ids "
                    + config.vocabSize() + ".." + (tokenizer.vocabSize() - 1)
                    + " would have no embedding: this tokenizer does not belong to this"
                    + " model");
        }
    }

    /** The model's name, for messages and summaries. */
    public String name() {
        return name;
    }

    /** The backend the model runs on. */
    public Backend backend() {
        return backend;
    }

    /** C, the length of each embedding (384 for all-MiniLM-L6-v2). */
    public int dimension() {
        return model.config().hidden();
    }

    /** The truncation length, special tokens included. */
    public int maxTokens() {
        return tokenizer.maxTokens();
    }

    /** The model this embedder runs. */
    public BertModel model() {
        return model;
    }

    /** The tokenizer this embedder uses. */
    public BertTokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * Embeds {@code texts}: one unit vector [C] per text, in order.
     *
     * @throws NullPointerException if the list or a text is null
     * @throws IllegalStateException if this embedder is closed
     */
    public float[][] embed(List<String> texts) {
        return embedAll(texts).embeddings();
    }

    /** Embeds one text; see {@link #embed(List)}. */
    public float[] embed(String text) {
        return embed(List.of(text))[0];
    }

    /**
     * Embeds {@code texts} and reports token counts and truncation; see {@link #embed(List)}.
     */
    public Result embedAll(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        int n = texts.size();
        int[][] ids = new int[n][];
        int truncated = 0;
        for (int i = 0; i < n; i++) {
            String text = texts.get(i);
            if (text == null) {
                throw new NullPointerException("SentenceEmbedder.embed: text " + i
                        + " is null");
            }
            BertTokenizer.Tokens t = tokenizer.encode(text);
            ids[i] = t.ids();
            truncated += t.truncated() ? 1 : 0;
        }

        float[][] out = run(Arrays.asList(ids), true);
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = ids[i].length;
        }
        return new Result(out, tokens, truncated);
    }

    /**
     * Runs the encoder on token IDs that the caller made and returns each sequence's mean
     * over its tokens of the last hidden state, not normalised: the step before the L2
     * normalisation of {@link #embed}, for callers that combine several windows of one long
     * text before normalising (as LangChain4j does).
     *
     * <pre>{@code
     * int[] ids = embedder.tokenizer().encode("The cat sits.").ids();   // [CLS] ... [SEP]
     * float[] mean = embedder.meanPool(List.of(ids))[0];               // [C], not unit
     * }</pre>
     *
     * <p>Batching and thread safety are as for {@link #embed}.
     *
     * @param ids each a sequence [T_i] of I32 token IDs in [0, V), special tokens included,
     *            1 <= T_i <= the model's position limit
     * @return [n][C], in input order
     * @throws IllegalArgumentException if a sequence is empty, longer than the position
     *     limit, or holds an ID outside [0, V)
     * @throws IllegalStateException if this embedder is closed
     */
    public float[][] meanPool(List<int[]> ids) {
        Objects.requireNonNull(ids, "ids");
        BertConfig config = model.config();
        for (int i = 0; i < ids.size(); i++) {
            int[] s = Objects.requireNonNull(ids.get(i), "SentenceEmbedder.meanPool: ids " + i);
            if (s.length < 1 || s.length > config.maxPositions()) {
                throw new IllegalArgumentException("SentenceEmbedder.meanPool: sequence " + i
                        + " has " + s.length + " tokens, must have 1 to "
                        + config.maxPositions() + " (the model's position limit)");
            }
            for (int id : s) {
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("SentenceEmbedder.meanPool: sequence "
                            + i + " holds token ID " + id + ", outside [0, "
                            + config.vocabSize() + ")");
                }
            }
        }
        return run(ids, false);
    }

    /** Runs sequences in passes; returns [n][C] in input order. */
    private float[][] run(List<int[]> ids, boolean normalize) {
        int[] lengths = new int[ids.size()];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = ids.get(i).length;
        }
        // see the class notes: ragged on the CPU, padded batches on a device
        boolean ragged = backend.device() == Device.CPU;
        float[][] out = new float[lengths.length][];
        for (int[] pass : ragged ? passes(lengths) : PaddedBatches.of(lengths)) {
            List<int[]> sequences = new ArrayList<>(pass.length);
            for (int i : pass) {
                sequences.add(ids.get(i));
            }
            float[][] pooled = ragged ? embedRagged(sequences, normalize)
                    : embedPadded(sequences, normalize);
            for (int j = 0; j < pass.length; j++) {
                out[pass[j]] = pooled[j];
            }
        }
        return out;
    }

    /**
     * How {@link #embed} cuts sequences of these token counts into ragged passes on a CPU
     * backend: the indices of each pass, consecutive and in input order, each pass of at most
     * {@value #MAX_PASS_TOKENS} tokens (a longer single sequence runs alone).
     *
     * @throws IllegalArgumentException if a length is below 1
     */
    static List<int[]> passes(int[] lengths) {
        List<int[]> out = new ArrayList<>();
        int first = 0;
        long tokens = 0;
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] < 1) {
                throw new IllegalArgumentException("passes: lengths[" + i + "]=" + lengths[i]
                        + " must be >= 1");
            }
            if (i > first && tokens + lengths[i] > MAX_PASS_TOKENS) {
                out.add(IntStream.range(first, i).toArray());
                first = i;
                tokens = 0;
            }
            tokens += lengths[i];
        }
        if (first < lengths.length) {
            out.add(IntStream.range(first, lengths.length).toArray());
        }
        return out;
    }

    /** Runs sequences laid end to end as one ragged batch; returns their pooled [B][C]. */
    private float[][] embedRagged(List<int[]> sequences, boolean normalize) {
        int b = sequences.size();
        int[] lengths = new int[b];
        int[] firstRow = new int[b];
        int n = 0;
        for (int i = 0; i < b; i++) {
            lengths[i] = sequences.get(i).length;
            firstRow[i] = n;
            n += lengths[i];
        }
        int[] flat = new int[n];
        for (int i = 0; i < b; i++) {
            System.arraycopy(sequences.get(i), 0, flat, firstRow[i], lengths[i]);
        }
        try (Scope scope = pool != null ? Scope.open(pool) : Scope.open()) {
            Ops ops = new Ops(backend, scope);
            Tensor ids = Tensor.fromInts(scope, flat, n);
            float[] hidden = ops.toHost(model.forwardRagged(ops, ids, lengths))
                    .toFloatArray(); // [N, C]
            return meanOfRows(hidden, firstRow, lengths, normalize);
        }
    }

    /**
     * Runs sequences as one batch right-padded to the longest; returns their pooled [B][C].
     */
    private float[][] embedPadded(List<int[]> sequences, boolean normalize) {
        int b = sequences.size();
        int t = 0;
        for (int[] s : sequences) {
            t = Math.max(t, s.length);
        }
        int[] flat = new int[b * t]; // padding: ID 0, never seen by a real token
        int[] lengths = new int[b];
        int[] firstRow = new int[b];
        for (int i = 0; i < b; i++) {
            int[] s = sequences.get(i);
            System.arraycopy(s, 0, flat, i * t, s.length);
            lengths[i] = s.length;
            firstRow[i] = i * t;
        }
        try (Scope scope = pool != null ? Scope.open(pool) : Scope.open()) {
            Ops ops = new Ops(backend, scope);
            Tensor ids = Tensor.fromInts(scope, flat, b, t);
            Tensor len = Tensor.fromInts(scope, lengths, b);
            float[] hidden = ops.toHost(model.forward(ops, ids, len))
                    .toFloatArray(); // [B, T, C]
            return meanOfRows(hidden, firstRow, lengths, normalize);
        }
    }

    /**
     * For each sequence i, the mean of rows firstRow[i] .. firstRow[i] + lengths[i] - 1 of
     * hidden [rows, C], L2-normalised when asked (in double; eps as torch's normalize).
     */
    private float[][] meanOfRows(float[] hidden, int[] firstRow, int[] lengths,
                                 boolean normalize) {
        int c = dimension();
        float[][] pooled = new float[lengths.length][c];
        double[] sum = new double[c];
        for (int i = 0; i < lengths.length; i++) {
            Arrays.fill(sum, 0);
            for (int p = 0; p < lengths[i]; p++) {
                int row = (firstRow[i] + p) * c;
                for (int k = 0; k < c; k++) {
                    sum[k] += hidden[row + k];
                }
            }
            double norm = 0;
            for (int k = 0; k < c; k++) {
                sum[k] /= lengths[i];
                norm += sum[k] * sum[k];
            }
            double scale = normalize ? 1 / Math.max(Math.sqrt(norm), 1e-12) : 1;
            for (int k = 0; k < c; k++) {
                pooled[i][k] = (float) (sum[k] * scale);
            }
        }
        return pooled;
    }

    /**
     * Frees the tokenizer and, when this embedder owns them, the model's weights. Call it
     * after the last {@link #embed} has returned: while one is still reading the weights,
     * closing them fails with an {@code IllegalStateException} and leaves them allocated.
     * The embedder takes no new calls after that; call close again once the running ones
     * return (each step is done once), and the weights are freed.
     *
     * @throws IllegalStateException if a call is still running on the weights
     */
    @Override
    public void close() {
        tokenizer.close();
        if (pool != null) {
            pool.close();
        }
        if (weights != null) {
            try {
                weights.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("SentenceEmbedder.close: " + e.getMessage(), e);
            }
        }
    }
}
