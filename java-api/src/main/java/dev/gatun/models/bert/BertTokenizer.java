package dev.gatun.models.bert;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Turns text into BERT token IDs with a Hugging Face {@code tokenizer.json}, through the
 * Hugging Face tokenizers library (Rust, bound by DJL; its native library ships in the jar).
 *
 * <pre>{@code
 * try (BertTokenizer tokenizer = BertTokenizer.fromFile(Path.of("tokenizer.json"), 256)) {
 *     BertTokenizer.Tokens t = tokenizer.encode("Hello world!");
 *     int[] ids = t.ids();               // {101, 7592, 2088, 999, 102}: [CLS] ... [SEP]
 * }
 * }</pre>
 *
 * <p>Each text becomes one sequence with the tokenizer's special tokens ([CLS] ... [SEP]),
 * never padded, truncated to at most {@link #maxTokens()} tokens (special tokens included)
 * by the tokenizer's own rule; {@link Tokens#truncated()} says when that happened. The
 * truncation and padding settings stored in the {@code tokenizer.json} are replaced by these.
 *
 * <p>On first use DJL copies its native library out of the jar into {@code ~/.djl.ai}
 * (or {@code $DJL_CACHE_DIR}) and loads it from there.
 *
 * <p>Thread safety: one instance may be shared by any number of threads. The Rust tokenizer
 * only reads its state while encoding (DJL sets truncation and padding once, here, in the
 * constructor), so concurrent {@link #encode} calls are safe; what is not safe in DJL is
 * freeing the native tokenizer while another thread is inside {@code encode}. A read-write
 * lock therefore lets encodes run concurrently and makes {@link #close()} wait for them;
 * after close, {@code encode} throws {@link IllegalStateException}.
 */
public final class BertTokenizer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tokenizer;
    private final int maxTokens;
    private final String source;
    private final int vocabSize;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    /** One text's token IDs: I32 values in [0, V), special tokens included. */
    public record Tokens(int[] ids, boolean truncated) {
        /** The number of tokens, T for this text. */
        public int length() {
            return ids.length;
        }
    }

    private BertTokenizer(HuggingFaceTokenizer tokenizer, int maxTokens, String source,
                          int vocabSize) {
        this.tokenizer = tokenizer;
        this.maxTokens = maxTokens;
        this.source = source;
        this.vocabSize = vocabSize;
    }

    /**
     * Reads a {@code tokenizer.json} from {@code json} (the caller closes the stream).
     *
     * @param source    names the origin in messages, e.g. the file or resource name
     * @param maxTokens the longest sequence, special tokens included; at least 2
     * @throws IllegalArgumentException if maxTokens is below 2, or the JSON is not a tokenizer
     *     (including one without a {@code model.vocab})
     * @throws UncheckedIOException if the stream cannot be read
     */
    public static BertTokenizer fromJson(InputStream json, String source, int maxTokens) {
        if (maxTokens < 2) {
            throw new IllegalArgumentException("BertTokenizer: maxTokens must be >= 2 (room for"
                    + " [CLS] and [SEP]), got " + maxTokens);
        }
        Map<String, String> options = Map.of(
                "addSpecialTokens", "true",
                "padding", "false",
                "truncation", "true",
                "maxLength", Integer.toString(maxTokens),
                // DJL would silently lower maxLength to this (512 by default); the model's
                // position limit is checked by the caller instead.
                "modelMaxLength", Integer.toString(Math.max(maxTokens, 512)));
        byte[] bytes;
        try {
            bytes = json.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("BertTokenizer: cannot read " + source, e);
        }
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes),
                    options);
        } catch (IOException e) {
            throw new UncheckedIOException("BertTokenizer: cannot read " + source, e);
        } catch (RuntimeException e) {
            // the Rust side reports a malformed tokenizer.json as a plain RuntimeException
            throw new IllegalArgumentException("BertTokenizer: " + source
                    + " is not a valid tokenizer.json: " + e.getMessage(), e);
        }
        try {
            return new BertTokenizer(tokenizer, maxTokens, source, vocabSize(bytes, source));
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /**
     * One more than the highest id the tokenizer can produce: the ids of {@code model.vocab}
     * (an object of token to id for WordPiece, BPE and WordLevel; an array indexed by id for
     * Unigram) and of {@code added_tokens}.
     */
    private static int vocabSize(byte[] json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("BertTokenizer: " + source
                    + " is not valid JSON: " + e.getMessage(), e);
        }
        JsonNode vocab = root.path("model").path("vocab");
        long size;
        if (vocab.isObject()) {
            size = 0;
            for (JsonNode id : vocab) {
                size = Math.max(size, id.asLong(-1) + 1);
            }
        } else if (vocab.isArray()) {
            size = vocab.size();
        } else {
            throw new IllegalArgumentException("BertTokenizer: " + source + " has no"
                    + " model.vocab, so its ids cannot be checked against a model");
        }
        for (JsonNode added : root.path("added_tokens")) {
            size = Math.max(size, added.path("id").asLong(-1) + 1);
        }
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("BertTokenizer: " + source + " has token ids"
                    + " up to " + (size - 1) + ", beyond int");
        }
        return (int) size;
    }

    /**
     * Reads the {@code tokenizer.json} at {@code file}.
     *
     * @throws IllegalArgumentException if maxTokens is below 2, the file is missing or is not
     *     a tokenizer
     * @throws UncheckedIOException if the file cannot be read
     */
    public static BertTokenizer fromFile(Path file, int maxTokens) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("BertTokenizer: no tokenizer file at " + file);
        }
        try (InputStream in = Files.newInputStream(file)) {
            return fromJson(in, file.toString(), maxTokens);
        } catch (IOException e) {
            throw new UncheckedIOException("BertTokenizer: cannot read " + file, e);
        }
    }

    /**
     * One more than the highest id this tokenizer can produce ({@code model.vocab} and
     * {@code added_tokens} of the tokenizer.json): a model needs at least this many rows in
     * its word embedding.
     */
    public int vocabSize() {
        return vocabSize;
    }

    /** Where the tokenizer.json came from (a file or resource name), for messages. */
    public String source() {
        return source;
    }

    /** The longest sequence {@link #encode} returns, special tokens included. */
    public int maxTokens() {
        return maxTokens;
    }

    /**
     * Tokenizes one text: [CLS], its word pieces, [SEP], truncated to {@link #maxTokens()}.
     *
     * @throws NullPointerException if text is null
     * @throws IllegalStateException if this tokenizer is closed
     */
    public Tokens encode(String text) {
        if (text == null) {
            throw new NullPointerException("BertTokenizer.encode: text is null");
        }
        lock.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("BertTokenizer.encode: tokenizer from " + source
                        + " is closed");
            }
            Encoding e = tokenizer.encode(text);
            long[] ids = e.getIds();
            int[] out = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                out[i] = Math.toIntExact(ids[i]);
            }
            return new Tokens(out, e.exceedMaxLength());
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Frees the native tokenizer once every running {@link #encode} has returned. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                tokenizer.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
