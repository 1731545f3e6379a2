package dev.gatun.io;

import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Converts Llama weights to a Hugging Face folder ({@code config.json} and
 * {@code model.safetensors}) that {@link HfLlamaWeights} and transformers read.
 *
 * <pre>{@code
 * LlamaHfConverter.convert(Path.of("stories260K.bin"), Path.of("stories260K-hf"));
 * }</pre>
 *
 * <p>From {@link RopeStyle#INTERLEAVED} weights (llama2.c) the rows of each head of q_proj
 * and k_proj are reordered for {@link RopeStyle#HALF_SPLIT}, as transformers' conversion
 * script does (see {@link #toHalfSplitRows}); every other tensor is copied as is. With a
 * tied classifier {@code lm_head.weight} is not written, as transformers saves it.
 *
 * <p>Each file is written atomically, weights first: a failure leaves no partial file, but
 * may leave a folder whose weights are new and whose config is missing or old.
 */
public final class LlamaHfConverter {

    private LlamaHfConverter() {}

    /**
     * Reads the llama2.c checkpoint {@code llama2cFile} and writes its Hugging Face folder to
     * {@code outDir} (created if needed).
     *
     * @throws ModelFormatException if the checkpoint is malformed
     * @throws java.io.UncheckedIOException if a file cannot be read or written
     */
    public static void convert(Path llama2cFile, Path outDir) {
        try (Scope scope = Scope.open()) {
            convert(Llama2cCheckpoint.open(llama2cFile, scope), outDir);
        }
    }

    /** Writes {@code weights} as a Hugging Face folder to {@code outDir}. */
    public static void convert(LlamaWeights weights, Path outDir) {
        HfConfig config = weights.config();
        boolean permute = weights.ropeStyle() == RopeStyle.INTERLEAVED;
        try (Scope scratch = Scope.open()) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String name : LlamaWeights.expectedShapes(config).keySet()) {
                if (name.equals("lm_head.weight") && config.tieWordEmbeddings()) {
                    continue;
                }
                Tensor t = weights.get(name);
                if (permute && name.endsWith("self_attn.q_proj.weight")) {
                    t = toHalfSplitRows(t, config.numAttentionHeads(), scratch);
                } else if (permute && name.endsWith("self_attn.k_proj.weight")) {
                    t = toHalfSplitRows(t, config.kvHeads(), scratch);
                }
                out.put(name, t);
            }
            SafeTensors.write(outDir.resolve(HfFolder.WEIGHTS), out, Map.of("format", "pt"));
        }
        config.write(outDir.resolve(HfFolder.CONFIG));
    }

    /**
     * Reorders the rows of a q or k projection from the INTERLEAVED RoPE pairing to the
     * HALF_SPLIT one: within each head h, output row (h, j) is input row (h, 2j) and output
     * row (h, D/2 + j) is input row (h, 2j + 1), for j in [0, D/2).
     *
     * @param w     [heads*D, C] contiguous, D even
     * @param heads H for q_proj, Hkv for k_proj
     * @return a new contiguous [heads*D, C] tensor of w's dtype, owned by {@code scope}
     * @throws IllegalArgumentException if w is not 2-D, its rows are not a multiple of
     *     2 * heads, or it is not contiguous
     */
    public static Tensor toHalfSplitRows(Tensor w, int heads, Scope scope) {
        if (w.rank() != 2 || heads <= 0 || w.dim(0) % (2L * heads) != 0) {
            throw new IllegalArgumentException("toHalfSplitRows: w must be [heads*D, C] with D"
                    + " even, got " + w.describe() + " for heads=" + heads);
        }
        long d = w.dim(0) / heads;
        long c = w.dim(1);
        // [H, D/2, 2, C] -> [H, 2, D/2, C]: (h, p, j) reads input row h*D + 2j + p
        Tensor paired = w.reshape(heads, d / 2, 2, c).permute(0, 2, 1, 3);
        Tensor out = Tensor.allocate(scope, w.dtype(), heads, 2, d / 2, c);
        out.copyFrom(paired);
        return out.reshape(heads * d, c);
    }
}
