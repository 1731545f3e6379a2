package dev.gatun.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.gatun.models.bert.BertTokenizer;
import dev.gatun.models.bert.MiniLm;
import dev.gatun.models.bert.PaddedBatches;
import dev.gatun.models.bert.SentenceEmbedder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * all-MiniLM-L6-v2 on ONNX Runtime (CPU execution provider), embedding texts to the same
 * vectors as Gatun's {@link SentenceEmbedder}: the same tokenizer and truncation (256
 * tokens), mean pooling over the real tokens, L2 normalisation. The model's graph takes
 * right-padded [B, T] IDs with an attention mask, so texts run as {@link PaddedBatches}
 * (texts of similar length together, the least padding for the number of passes), the way
 * a runtime that needs padding is best used; Gatun runs the texts end to end, unpadded
 * ({@link dev.gatun.models.bert.BertModel#forwardRagged}), so on mixed lengths it computes
 * fewer tokens than this peer (478 against 523 on the benchmark's 32 sentences).
 *
 * <p>The session reads the same ONNX file Gatun imports (the class path resource
 * {@link MiniLm#ONNX_RESOURCE}), with every graph optimisation on and as many intra-op
 * threads as the JVM sees processors.
 */
public final class OnnxRuntimePeer implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final BertTokenizer tokenizer;

    private OnnxRuntimePeer(OrtEnvironment env, OrtSession session, BertTokenizer tokenizer) {
        this.env = env;
        this.session = session;
        this.tokenizer = tokenizer;
    }

    /**
     * Opens a session on the model from the class path.
     *
     * @throws IllegalStateException if the model's jar is not on the class path or ONNX
     *     Runtime cannot load it
     */
    public static OnnxRuntimePeer open() {
        if (!MiniLm.isAvailable()) {
            throw new IllegalStateException("OnnxRuntimePeer: " + MiniLm.ARTIFACT
                    + " is not on the class path");
        }
        ClassLoader loader = OnnxRuntimePeer.class.getClassLoader();
        try (InputStream onnx = loader.getResourceAsStream(MiniLm.ONNX_RESOURCE);
             InputStream json = loader.getResourceAsStream(MiniLm.TOKENIZER_RESOURCE)) {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
            OrtSession session = env.createSession(onnx.readAllBytes(), options);
            BertTokenizer tokenizer = BertTokenizer.fromJson(json, MiniLm.TOKENIZER_RESOURCE,
                    SentenceEmbedder.DEFAULT_MAX_TOKENS);
            return new OnnxRuntimePeer(env, session, tokenizer);
        } catch (IOException e) {
            throw new UncheckedIOException("OnnxRuntimePeer: cannot read the model", e);
        } catch (OrtException e) {
            throw new IllegalStateException("OnnxRuntimePeer: ONNX Runtime cannot load "
                    + MiniLm.ONNX_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /**
     * Embeds {@code texts}: one unit vector [C] per text, in order.
     *
     * @throws IllegalStateException if ONNX Runtime fails
     */
    public float[][] embed(List<String> texts) {
        int n = texts.size();
        int[][] all = new int[n][];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = tokenizer.encode(texts.get(i)).ids();
            lengths[i] = all[i].length;
        }
        float[][] out = new float[n][];
        for (int[] batch : PaddedBatches.of(lengths)) {
            int[][] ids = new int[batch.length][];
            for (int j = 0; j < batch.length; j++) {
                ids[j] = all[batch[j]];
            }
            float[][] pooled = embedBatch(ids);
            for (int j = 0; j < batch.length; j++) {
                out[batch[j]] = pooled[j];
            }
        }
        return out;
    }

    /** One right-padded batch of token IDs: its unit vectors [B][C]. */
    private float[][] embedBatch(int[][] ids) {
        int b = ids.length;
        int t = 0;
        for (int[] sequence : ids) {
            t = Math.max(t, sequence.length);
        }

        // input_ids, attention_mask, token_type_ids: I64 [B, T], right-padded with zeros
        long[] inputIds = new long[b * t];
        long[] mask = new long[b * t];
        for (int i = 0; i < b; i++) {
            for (int p = 0; p < ids[i].length; p++) {
                inputIds[i * t + p] = ids[i][p];
                mask[i * t + p] = 1;
            }
        }
        long[] shape = {b, t};
        float[] hidden; // last_hidden_state [B, T, C]
        int c;
        try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(inputIds), shape);
             OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[b * t]),
                     shape);
             OrtSession.Result out = session.run(Map.of("input_ids", a, "attention_mask", m,
                     "token_type_ids", types))) {
            OnnxTensor last = (OnnxTensor) out.get("last_hidden_state").orElseThrow();
            long[] dims = last.getInfo().getShape();
            c = (int) dims[2];
            FloatBuffer buffer = last.getFloatBuffer();
            hidden = new float[buffer.remaining()];
            buffer.get(hidden);
        } catch (OrtException e) {
            throw new IllegalStateException("OnnxRuntimePeer: run failed for B=" + b + ", T="
                    + t + ": " + e.getMessage(), e);
        }

        // mean over the real tokens, then L2 normalise, as SentenceEmbedder does
        float[][] pooled = new float[b][c];
        double[] sum = new double[c];
        for (int i = 0; i < b; i++) {
            Arrays.fill(sum, 0);
            for (int p = 0; p < ids[i].length; p++) {
                int row = (i * t + p) * c;
                for (int k = 0; k < c; k++) {
                    sum[k] += hidden[row + k];
                }
            }
            double norm = 0;
            for (int k = 0; k < c; k++) {
                sum[k] /= ids[i].length;
                norm += sum[k] * sum[k];
            }
            double scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
            for (int k = 0; k < c; k++) {
                pooled[i][k] = (float) (sum[k] * scale);
            }
        }
        return pooled;
    }

    @Override
    public void close() {
        tokenizer.close();
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("OnnxRuntimePeer: close failed", e);
        }
    }
}
