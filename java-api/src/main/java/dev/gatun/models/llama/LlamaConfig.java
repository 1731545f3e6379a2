package dev.gatun.models.llama;

import dev.gatun.io.HfConfig;

/**
 * The sizes of a Llama model.
 *
 * <pre>{@code
 * // stories260K: C 64, F 172, L 5, H 8, Hkv 4, V 512, context 512
 * LlamaConfig config = new LlamaConfig(64, 172, 5, 8, 4, 512, 512, 1e-5f, 10000f);
 * }</pre>
 *
 * @param dim          C, the model width
 * @param hidden       F, the feed-forward width
 * @param layers       L
 * @param heads        H, query heads; D = C / H
 * @param kvHeads      Hkv, key/value heads, a divisor of H
 * @param vocab        V
 * @param maxPositions the context length: positions 0 .. maxPositions - 1 exist
 * @param rmsEps       the RMSNorm epsilon (1e-5 for Llama 2 and llama2.c)
 * @param ropeTheta    the rotary frequency base (10000 for Llama 2)
 */
public record LlamaConfig(int dim, int hidden, int layers, int heads, int kvHeads, int vocab,
                          int maxPositions, float rmsEps, float ropeTheta) {

    /**
     * Checks the sizes.
     *
     * @throws IllegalArgumentException if a size is not positive, H does not divide C,
     *     Hkv does not divide H, D is odd, or eps / theta is not positive
     */
    public LlamaConfig {
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab <= 0
                || maxPositions <= 0) {
            throw new IllegalArgumentException("LlamaConfig: every size must be positive, got "
                    + sizes(dim, hidden, layers, heads, kvHeads, vocab, maxPositions));
        }
        if (dim % heads != 0 || heads % kvHeads != 0 || (dim / heads) % 2 != 0) {
            throw new IllegalArgumentException("LlamaConfig: need C = H·D with D even and H a "
                    + "multiple of Hkv, got " + sizes(dim, hidden, layers, heads, kvHeads, vocab,
                    maxPositions));
        }
        if (!(rmsEps > 0) || !(ropeTheta > 0)) {
            throw new IllegalArgumentException("LlamaConfig: rmsEps and ropeTheta must be "
                    + "positive, got " + rmsEps + ", " + ropeTheta);
        }
    }

    /**
     * The sizes of a Hugging Face Llama config ({@code config.json}, or what
     * {@link dev.gatun.io.Llama2cCheckpoint} derives from a llama2.c header).
     *
     * @throws IllegalArgumentException if {@code hf} is not a Llama config
     */
    public static LlamaConfig from(HfConfig hf) {
        if (!hf.isLlama()) {
            throw new IllegalArgumentException("LlamaConfig: model_type must be \"llama\", got "
                    + "\"" + hf.modelType() + "\"");
        }
        return new LlamaConfig(hf.hiddenSize(), hf.intermediateSize(), hf.numHiddenLayers(),
                hf.numAttentionHeads(), hf.kvHeads(), hf.vocabSize(),
                hf.maxPositionEmbeddings(), (float) hf.normEps(), hf.ropeTheta().floatValue());
    }

    /** D = C / H. */
    public int headDim() {
        return dim / heads;
    }

    private static String sizes(int c, int f, int l, int h, int hkv, int v, int t) {
        return "C=" + c + ", F=" + f + ", L=" + l + ", H=" + h + ", Hkv=" + hkv + ", V=" + v
                + ", maxPositions=" + t;
    }
}
