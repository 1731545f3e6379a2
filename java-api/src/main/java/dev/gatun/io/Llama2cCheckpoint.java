package dev.gatun.io;

import dev.gatun.DType;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads a llama2.c checkpoint ({@code run.c}'s format) as zero-copy views under Hugging Face
 * Llama names.
 *
 * <pre>{@code
 * try (Scope scope = Scope.open()) {
 *     Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(Path.of("stories260K.bin"), scope);
 *     Tensor wq = ckpt.get("model.layers.0.self_attn.q_proj.weight"); // [H*D, C] F32
 *     RopeStyle style = ckpt.ropeStyle();                              // INTERLEAVED
 * }
 * }</pre>
 *
 * <p>The file is a header of 7 little-endian int32 (C = dim, F = hidden_dim, L = n_layers,
 * H = n_heads, Hkv = n_kv_heads, V = vocab_size, negative when an unshared classifier
 * follows, seq_len), then F32 arrays with no padding, D = C / H:
 * <pre>
 * token_embedding [V, C]        rms_att [L, C]            wq [L, H*D, C]
 * wk [L, Hkv*D, C]              wv [L, Hkv*D, C]          wo [L, C, H*D]
 * rms_ffn [L, C]                w1 [L, F, C]              w2 [L, C, F]
 * w3 [L, F, C]                  rms_final [C]             freq_cis_real [seq_len, D/2]
 * freq_cis_imag [seq_len, D/2]  wcls [V, C] (only when vocab_size was negative)
 * </pre>
 * Every matrix is [out, in], as PyTorch stores {@code nn.Linear}, so w1 is gate_proj, w3
 * up_proj and w2 down_proj. The q/k rows keep llama2.c's order, which pairs dimensions
 * (2i, 2i+1) of each head under RoPE: {@link RopeStyle#INTERLEAVED}.
 * {@link LlamaHfConverter} reorders them for {@link RopeStyle#HALF_SPLIT}.
 *
 * <p>Tensors are read-only views of the memory-mapped file owned by the scope given to
 * {@link #open}; the F32 data starts at byte 28, so every element is 4-byte aligned.
 *
 * <p>Limitations: the freq_cis tables are validated by size but not exposed (RoPE is
 * recomputed from rope_theta 10000, which is what they hold); llama2.c's later "version 1/2"
 * exports (a magic number, quantized weights) are not read. The config says rms_norm_eps
 * 1e-5 as run.c uses, bos 1 and eos 2 as llama2.c's tokenizer.
 */
public final class Llama2cCheckpoint implements LlamaWeights {
    private static final int HEADER_BYTES = 7 * Integer.BYTES;

    private final Path file;
    private final HfConfig config;
    private final boolean sharedClassifier;
    private final Map<String, Tensor> weights;

    private Llama2cCheckpoint(Path file, HfConfig config, boolean sharedClassifier,
                              Map<String, Tensor> weights) {
        this.file = file;
        this.config = config;
        this.sharedClassifier = sharedClassifier;
        this.weights = Collections.unmodifiableMap(weights);
    }

    /**
     * Validates the header and size of {@code file} and memory-maps it; the mapping belongs to
     * {@code scope}.
     *
     * @throws ModelFormatException  if a dimension is zero or negative, H is not a multiple of
     *     Hkv, C not a multiple of H, D is odd, or the file size is not exactly what the header
     *     implies (the message gives both sizes)
     * @throws UncheckedIOException  if the file cannot be read
     * @throws IllegalStateException if {@code scope} is closed
     */
    public static Llama2cCheckpoint open(Path file, Scope scope) {
        SafeTensors.requireLittleEndianHost();
        if (!scope.isOpen()) {
            throw new IllegalStateException("Llama2cCheckpoint.open: scope is closed (" + file
                    + ")");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < HEADER_BYTES) {
                throw new ModelFormatException(file, "file has " + size + " bytes, fewer than"
                        + " the " + HEADER_BYTES + "-byte header of 7 int32");
            }
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (header.hasRemaining()) {
                if (channel.read(header, header.position()) < 0) {
                    throw new IOException("unexpected end of file in the header");
                }
            }
            Header h = Header.parse(file, header.flip());
            long expected = h.expectedFileBytes(file);
            if (size != expected) {
                throw new ModelFormatException(file, "file has " + size + " bytes, the header "
                        + h + " implies " + expected + " (" + (size < expected
                        ? "truncated" : (size - expected) + " extra bytes") + ")");
            }
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size,
                    scope.arena());
            return new Llama2cCheckpoint(file, h.config(), h.shared, views(h, mapped));
        } catch (IOException e) {
            throw new UncheckedIOException("Llama2cCheckpoint.open: cannot read " + file + ": "
                    + e.getMessage(), e);
        }
    }

    /** The file this was opened from. */
    public Path file() {
        return file;
    }

    /** Whether the classifier is the token embedding (vocab_size was positive). */
    public boolean sharedClassifier() {
        return sharedClassifier;
    }

    @Override
    public HfConfig config() {
        return config;
    }

    /** Always {@link RopeStyle#INTERLEAVED}: llama2.c's q/k rows pair (2i, 2i+1). */
    @Override
    public RopeStyle ropeStyle() {
        return RopeStyle.INTERLEAVED;
    }

    @Override
    public Set<String> names() {
        return weights.keySet();
    }

    /**
     * A zero-copy, read-only F32 view of weight {@code name} (see {@link LlamaWeights} for the
     * names and shapes).
     *
     * @throws ModelFormatException if there is no such weight
     */
    @Override
    public Tensor get(String name) {
        Tensor t = weights.get(name);
        if (t == null) {
            throw new ModelFormatException(file.toString(), name, "no such weight in a llama2.c"
                    + " checkpoint" + SafeTensors.sample(weights.keySet()));
        }
        return t;
    }

    /** Cuts the mapped file into the named views, walking the arrays in file order. */
    private static Map<String, Tensor> views(Header h, MemorySegment mapped) {
        long c = h.dim;
        long f = h.hiddenDim;
        long l = h.layers;
        long qRows = h.heads * (long) h.headDim();
        long kvRows = h.kvHeads * (long) h.headDim();
        Cursor at = new Cursor(mapped, HEADER_BYTES);

        Tensor embedding = at.next(h.vocab, c);
        Tensor rmsAtt = at.next(l, c);
        Tensor wq = at.next(l, qRows, c);
        Tensor wk = at.next(l, kvRows, c);
        Tensor wv = at.next(l, kvRows, c);
        Tensor wo = at.next(l, c, qRows);
        Tensor rmsFfn = at.next(l, c);
        Tensor w1 = at.next(l, f, c);
        Tensor w2 = at.next(l, c, f);
        Tensor w3 = at.next(l, f, c);
        Tensor rmsFinal = at.next(c);
        at.next(h.seqLen, h.headDim() / 2); // freq_cis_real
        at.next(h.seqLen, h.headDim() / 2); // freq_cis_imag
        Tensor classifier = h.shared ? embedding : at.next(h.vocab, c);

        Map<String, Tensor> w = new LinkedHashMap<>();
        w.put("model.embed_tokens.weight", embedding);
        for (int i = 0; i < h.layers; i++) {
            String p = "model.layers." + i + ".";
            w.put(p + "input_layernorm.weight", rmsAtt.select(0, i));
            w.put(p + "self_attn.q_proj.weight", wq.select(0, i));
            w.put(p + "self_attn.k_proj.weight", wk.select(0, i));
            w.put(p + "self_attn.v_proj.weight", wv.select(0, i));
            w.put(p + "self_attn.o_proj.weight", wo.select(0, i));
            w.put(p + "post_attention_layernorm.weight", rmsFfn.select(0, i));
            w.put(p + "mlp.gate_proj.weight", w1.select(0, i));
            w.put(p + "mlp.up_proj.weight", w3.select(0, i));
            w.put(p + "mlp.down_proj.weight", w2.select(0, i));
        }
        w.put("model.norm.weight", rmsFinal);
        w.put("lm_head.weight", classifier);
        return w;
    }

    /** Hands out consecutive F32 arrays of the mapped file. */
    private static final class Cursor {
        private final MemorySegment file;
        private long offset;

        Cursor(MemorySegment file, long offset) {
            this.file = file;
            this.offset = offset;
        }

        Tensor next(long... shape) {
            long bytes = Float.BYTES;
            for (long d : shape) {
                bytes *= d; // cannot overflow: the total was checked against the file size
            }
            Tensor t = Tensor.wrap(file.asSlice(offset, bytes), DType.F32, shape);
            offset += bytes;
            return t;
        }
    }

    /** The 7 header fields, validated. */
    private record Header(int dim, int hiddenDim, int layers, int heads, int kvHeads,
                          int vocab, int seqLen, boolean shared) {

        static Header parse(Path file, ByteBuffer b) {
            int dim = b.getInt();
            int hiddenDim = b.getInt();
            int layers = b.getInt();
            int heads = b.getInt();
            int kvHeads = b.getInt();
            int vocab = b.getInt();
            int seqLen = b.getInt();
            Header h = new Header(dim, hiddenDim, layers, heads, kvHeads, Math.abs(vocab),
                    seqLen, vocab > 0);
            if (dim <= 0 || hiddenDim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0
                    || vocab == 0 || vocab == Integer.MIN_VALUE || seqLen <= 0) {
                throw new ModelFormatException(file, "every header field must be positive"
                        + " (vocab_size may be negative to mark an unshared classifier): dim="
                        + dim + ", hidden_dim=" + hiddenDim + ", n_layers=" + layers
                        + ", n_heads=" + heads + ", n_kv_heads=" + kvHeads + ", vocab_size="
                        + vocab + ", seq_len=" + seqLen);
            }
            if (heads % kvHeads != 0) {
                throw new ModelFormatException(file, "n_heads " + heads
                        + " must be a multiple of n_kv_heads " + kvHeads);
            }
            if (dim % heads != 0) {
                throw new ModelFormatException(file, "dim " + dim + " must be a multiple of"
                        + " n_heads " + heads);
            }
            if (h.headDim() % 2 != 0) {
                throw new ModelFormatException(file, "head dim dim / n_heads = " + h.headDim()
                        + " must be even for RoPE");
            }
            return h;
        }

        int headDim() {
            return dim / heads;
        }

        /** 28 header bytes plus 4 per float; exact arithmetic, overflow is a format error. */
        long expectedFileBytes(Path file) {
            try {
                long c = dim;
                long l = layers;
                long kvRows = (long) kvHeads * headDim();
                long floats = 0;
                floats = Math.addExact(floats, Math.multiplyExact((long) vocab, c));
                floats = Math.addExact(floats, Math.multiplyExact(l, c)); // rms_att
                floats = Math.addExact(floats, Math.multiplyExact(l, c * c)); // wq
                floats = Math.addExact(floats, Math.multiplyExact(2 * l, kvRows * c)); // wk, wv
                floats = Math.addExact(floats, Math.multiplyExact(l, c * c)); // wo
                floats = Math.addExact(floats, Math.multiplyExact(l, c)); // rms_ffn
                floats = Math.addExact(floats, Math.multiplyExact(3 * l, (long) hiddenDim * c));
                floats = Math.addExact(floats, c); // rms_final
                floats = Math.addExact(floats, (long) seqLen * headDim()); // freq_cis
                if (!shared) {
                    floats = Math.addExact(floats, Math.multiplyExact((long) vocab, c));
                }
                return Math.addExact(HEADER_BYTES, Math.multiplyExact(floats, 4L));
            } catch (ArithmeticException e) {
                throw new ModelFormatException(file, "header " + this + " implies more bytes"
                        + " than a long can count");
            }
        }

        HfConfig config() {
            return HfConfig.llama(dim, layers, heads, kvHeads, hiddenDim, seqLen, vocab, 1e-5,
                    10000.0, shared, 1, 2);
        }

        @Override
        public String toString() {
            return "(dim=" + dim + ", hidden_dim=" + hiddenDim + ", n_layers=" + layers
                    + ", n_heads=" + heads + ", n_kv_heads=" + kvHeads + ", vocab_size="
                    + (shared ? vocab : -vocab) + ", seq_len=" + seqLen + ")";
        }
    }
}
