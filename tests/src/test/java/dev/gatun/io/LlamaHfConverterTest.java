package dev.gatun.io;

import static dev.gatun.io.IoTestSupport.assertFormatError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatun.DType;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaHfConverterTest {
    @TempDir
    Path dir;

    @Test
    void convertsTheFixtureWithQkRowsPermutedForHalfSplit() {
        Path bin = IoTestSupport.sharedFile(Llama2cCheckpointTest.FIXTURE);
        Path out = dir.resolve("stories260K-hf");
        LlamaHfConverter.convert(bin, out);
        assertTrue(Files.isRegularFile(out.resolve("config.json")));
        try (Scope scope = Scope.open()) {
            Llama2cCheckpoint src = Llama2cCheckpoint.open(bin, scope);
            HfLlamaWeights hf = HfLlamaWeights.load(out, scope);
            assertEquals(src.config(), hf.config());
            assertEquals(RopeStyle.HALF_SPLIT, hf.ropeStyle());
            assertFalse(SafeTensors.open(out.resolve("model.safetensors"), scope)
                    .contains("lm_head.weight"), "a tied classifier is not stored");
            assertSame(hf.get("model.embed_tokens.weight"), hf.get("lm_head.weight"));
            checkConverted(src, hf, "fixture");
        }
    }

    @Test
    void keepsAnUnsharedClassifier() throws IOException {
        long seed = System.nanoTime();
        Path bin = Files.write(dir.resolve("unshared.bin"), Llama2cCheckpointTest.checkpoint(
                new Random(seed), 16, 10, 2, 4, 2, -9, 6, 0));
        Path out = dir.resolve("unshared-hf");
        LlamaHfConverter.convert(bin, out);
        try (Scope scope = Scope.open()) {
            Llama2cCheckpoint src = Llama2cCheckpoint.open(bin, scope);
            HfLlamaWeights hf = HfLlamaWeights.load(out, scope);
            assertFalse(hf.config().tieWordEmbeddings(), "seed=" + seed);
            checkConverted(src, hf, "seed=" + seed);
        }
    }

    @Test
    void halfSplitRopeOnConvertedWeightsGivesTheSameAttentionScores() {
        // the point of the permutation: q.k after RoPE is the same in both conventions
        Path bin = IoTestSupport.sharedFile(Llama2cCheckpointTest.FIXTURE);
        Path out = dir.resolve("hf");
        LlamaHfConverter.convert(bin, out);
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Llama2cCheckpoint src = Llama2cCheckpoint.open(bin, scope);
            HfLlamaWeights hf = HfLlamaWeights.load(out, scope);
            HfConfig c = src.config();
            int dModel = c.hiddenSize();
            int d = c.headDim();
            int group = c.numAttentionHeads() / c.kvHeads();
            double[] xq = new double[dModel];
            double[] xk = new double[dModel];
            for (int i = 0; i < dModel; i++) {
                xq[i] = rng.nextGaussian();
                xk[i] = rng.nextGaussian();
            }
            int pq = rng.nextInt(512);
            int pk = rng.nextInt(pq + 1);
            for (int layer = 0; layer < c.numHiddenLayers(); layer++) {
                String p = "model.layers." + layer + ".self_attn.";
                double[] q1 = rope(matvec(src.get(p + "q_proj.weight"), xq), pq, d, false);
                double[] k1 = rope(matvec(src.get(p + "k_proj.weight"), xk), pk, d, false);
                double[] q2 = rope(matvec(hf.get(p + "q_proj.weight"), xq), pq, d, true);
                double[] k2 = rope(matvec(hf.get(p + "k_proj.weight"), xk), pk, d, true);
                for (int h = 0; h < c.numAttentionHeads(); h++) {
                    int kh = h / group;
                    double s1 = 0;
                    double s2 = 0;
                    for (int i = 0; i < d; i++) {
                        s1 += q1[h * d + i] * k1[kh * d + i];
                        s2 += q2[h * d + i] * k2[kh * d + i];
                    }
                    assertEquals(s1, s2, 1e-9 * (1 + Math.abs(s1)), "layer " + layer + " head "
                            + h + " positions " + pq + "," + pk + " seed=" + seed);
                }
            }
        }
    }

    @Test
    void toHalfSplitRowsMatchesAPlainLoop() {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
            int heads = 3;
            int d = 6;
            int c = 5;
            float[] w = new float[heads * d * c];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rng.nextGaussian();
            }
            try (Scope scope = Scope.open()) {
                Tensor in = Tensor.fromFloats(scope, dtype, w, heads * d, c);
                Tensor out = LlamaHfConverter.toHalfSplitRows(in, heads, scope);
                assertArrayEquals(new long[] {heads * d, c}, out.shape());
                assertEquals(dtype, out.dtype());
                for (int h = 0; h < heads; h++) {
                    for (int j = 0; j < d / 2; j++) {
                        for (int x = 0; x < c; x++) {
                            String msg = dtype + " h=" + h + " j=" + j + " seed=" + seed;
                            assertEquals(in.getFloat(h * d + 2 * j, x),
                                    out.getFloat(h * d + j, x), msg);
                            assertEquals(in.getFloat(h * d + 2 * j + 1, x),
                                    out.getFloat(h * d + d / 2 + j, x), msg);
                        }
                    }
                }
                assertThrows(IllegalArgumentException.class,
                        () -> LlamaHfConverter.toHalfSplitRows(in, 4, scope));
            }
        }
    }

    @Test
    void loadsAShardedFolder() throws IOException {
        long seed = System.nanoTime();
        Path bin = Files.write(dir.resolve("s.bin"), Llama2cCheckpointTest.checkpoint(
                new Random(seed), 8, 6, 2, 2, 1, 7, 4, 0));
        Path out = dir.resolve("sharded");
        LlamaHfConverter.convert(bin, out);
        try (Scope scope = Scope.open()) {
            SafeTensors whole = SafeTensors.open(out.resolve("model.safetensors"), scope);
            Map<String, Tensor> first = new LinkedHashMap<>();
            Map<String, Tensor> second = new LinkedHashMap<>();
            StringBuilder index = new StringBuilder("{\"metadata\":{},\"weight_map\":{");
            int i = 0;
            for (String name : whole.names()) {
                boolean one = i++ % 2 == 0;
                (one ? first : second).put(name, whole.get(name));
                index.append(i > 1 ? "," : "").append('"').append(name).append("\":\"")
                        .append(one ? "a.safetensors" : "b.safetensors").append('"');
            }
            index.append("}}");
            SafeTensors.write(out.resolve("a.safetensors"), first);
            SafeTensors.write(out.resolve("b.safetensors"), second);
            Files.writeString(out.resolve("model.safetensors.index.json"), index);
            Files.move(out.resolve("model.safetensors"), dir.resolve("moved.safetensors"));

            HfLlamaWeights sharded = HfLlamaWeights.load(out, scope);
            SafeTensors original = SafeTensors.open(dir.resolve("moved.safetensors"), scope);
            for (String name : original.names()) {
                assertArrayEquals(original.get(name).toFloatArray(),
                        sharded.get(name).toFloatArray(), name + " seed=" + seed);
            }
        }
    }

    @Test
    void rejectsAFolderWithAMissingOrMisshapenWeight() throws IOException {
        Path bin = Files.write(dir.resolve("m.bin"), Llama2cCheckpointTest.checkpoint(
                new Random(7), 8, 6, 2, 2, 1, 7, 4, 0));
        Path out = dir.resolve("m");
        LlamaHfConverter.convert(bin, out);
        Path weights = out.resolve("model.safetensors");
        String victim = "model.layers.1.mlp.down_proj.weight";
        try (Scope scope = Scope.open()) {
            SafeTensors st = SafeTensors.open(weights, scope);
            Map<String, Tensor> fewer = new LinkedHashMap<>();
            Map<String, Tensor> reshaped = new LinkedHashMap<>();
            for (String name : st.names()) {
                Tensor t = st.get(name);
                if (!name.equals(victim)) {
                    fewer.put(name, t);
                }
                reshaped.put(name, name.equals(victim) ? t.reshape(t.dim(1), t.dim(0)) : t);
            }
            SafeTensors.write(dir.resolve("fewer.safetensors"), fewer);
            SafeTensors.write(dir.resolve("reshaped.safetensors"), reshaped);
        }
        Files.copy(dir.resolve("fewer.safetensors"), weights,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertFormatError(() -> load(out), "tensor '" + victim + "'", "missing");
        Files.copy(dir.resolve("reshaped.safetensors"), weights,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertFormatError(() -> load(out), "model.safetensors", "tensor '" + victim + "'",
                "shape [6, 8] differs from [8, 6]");
        Files.delete(weights);
        assertFormatError(() -> load(out), "holds neither model.safetensors");
        HfConfig.bert(8, 1, 2, 6, 4, 7, 2, 1e-12, "gelu").write(out.resolve("config.json"));
        assertFormatError(() -> load(out), "model_type is \"bert\"");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static void load(Path dir) {
        try (Scope scope = Scope.open()) {
            HfLlamaWeights.load(dir, scope);
        }
    }

    /** q/k rows permuted per head as a plain loop says; every other weight unchanged. */
    private static void checkConverted(Llama2cCheckpoint src, HfLlamaWeights hf, String msg) {
        HfConfig c = src.config();
        int d = c.headDim();
        for (String name : LlamaWeights.expectedShapes(c).keySet()) {
            Tensor a = src.get(name);
            Tensor b = hf.get(name);
            assertArrayEquals(a.shape(), b.shape(), name + " " + msg);
            int heads = name.endsWith("q_proj.weight") ? c.numAttentionHeads()
                    : name.endsWith("k_proj.weight") ? c.kvHeads() : 0;
            if (heads == 0) {
                assertArrayEquals(a.toFloatArray(), b.toFloatArray(), name + " " + msg);
                continue;
            }
            for (int h = 0; h < heads; h++) {
                for (int j = 0; j < d / 2; j++) {
                    for (int x = 0; x < c.hiddenSize(); x++) {
                        assertEquals(a.getFloat(h * d + 2 * j, x), b.getFloat(h * d + j, x),
                                name + " h=" + h + " j=" + j + " " + msg);
                        assertEquals(a.getFloat(h * d + 2 * j + 1, x),
                                b.getFloat(h * d + d / 2 + j, x),
                                name + " h=" + h + " j=" + j + " " + msg);
                    }
                }
            }
        }
    }

    private static double[] matvec(Tensor w, double[] x) {
        int rows = (int) w.dim(0);
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < x.length; k++) {
                y[r] += w.getFloat(r, k) * x[k];
            }
        }
        return y;
    }

    /** RoPE over every head of {@code v}: pairs (2i, 2i+1), or (i, i + D/2) if half split. */
    private static double[] rope(double[] v, int pos, int d, boolean halfSplit) {
        double[] out = v.clone();
        for (int base = 0; base < v.length; base += d) {
            for (int i = 0; i < d / 2; i++) {
                double angle = pos * Math.pow(10000.0, -2.0 * i / d);
                int a = halfSplit ? base + i : base + 2 * i;
                int b = halfSplit ? base + i + d / 2 : base + 2 * i + 1;
                out[a] = v[a] * Math.cos(angle) - v[b] * Math.sin(angle);
                out[b] = v[a] * Math.sin(angle) + v[b] * Math.cos(angle);
            }
        }
        return out;
    }
}
