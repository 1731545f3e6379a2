package dev.gatun.io;

import static dev.gatun.io.IoTestSupport.assertFormatError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatun.DType;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Llama2cCheckpointTest {
    static final String FIXTURE = "fixtures/llama2c/stories260K.bin";

    @TempDir
    Path dir;

    @Test
    void loadsTheStories260kFixture() throws IOException {
        Path file = IoTestSupport.sharedFile(FIXTURE);
        try (Scope scope = Scope.open()) {
            Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(file, scope);
            HfConfig c = ckpt.config();
            assertEquals("llama", c.modelType());
            assertEquals(64, c.hiddenSize());
            assertEquals(5, c.numHiddenLayers());
            assertEquals(8, c.numAttentionHeads());
            assertEquals(4, c.kvHeads());
            assertEquals(172, c.intermediateSize());
            assertEquals(512, c.vocabSize());
            assertEquals(512, c.maxPositionEmbeddings());
            assertEquals(1e-5, c.rmsNormEps());
            assertEquals(10000.0, c.ropeTheta());
            assertTrue(c.tieWordEmbeddings());
            assertTrue(ckpt.sharedClassifier());
            assertEquals(RopeStyle.INTERLEAVED, ckpt.ropeStyle());

            assertEquals(new ArrayList<>(LlamaWeights.expectedShapes(c).keySet()),
                    new ArrayList<>(ckpt.names()));
            Map<String, float[]> expected = readPlainly(Files.readAllBytes(file));
            for (Map.Entry<String, long[]> e : LlamaWeights.expectedShapes(c).entrySet()) {
                Tensor t = ckpt.get(e.getKey());
                assertEquals(DType.F32, t.dtype(), e.getKey());
                assertArrayEquals(e.getValue(), t.shape(), e.getKey());
                assertArrayEquals(expected.get(e.getKey()), t.toFloatArray(), e.getKey());
            }
            assertSame(ckpt.get("model.embed_tokens.weight"), ckpt.get("lm_head.weight"));
        }
    }

    @Test
    void mapsEveryArrayOfASyntheticCheckpointWithAnUnsharedClassifier() throws IOException {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        // awkward sizes: D = 4, H = 3 sharing one kv head, F = 7, V = 11
        byte[] bytes = checkpoint(rng, 12, 7, 2, 3, 1, -11, 5, 0);
        Path file = Files.write(dir.resolve("synthetic.bin"), bytes);
        try (Scope scope = Scope.open()) {
            Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(file, scope);
            assertFalse(ckpt.sharedClassifier(), "seed=" + seed);
            assertFalse(ckpt.config().tieWordEmbeddings(), "seed=" + seed);
            Map<String, float[]> expected = readPlainly(bytes);
            for (Map.Entry<String, long[]> e
                    : LlamaWeights.expectedShapes(ckpt.config()).entrySet()) {
                Tensor t = ckpt.get(e.getKey());
                assertArrayEquals(e.getValue(), t.shape(), e.getKey() + " seed=" + seed);
                assertArrayEquals(expected.get(e.getKey()), t.toFloatArray(),
                        e.getKey() + " seed=" + seed);
            }
            assertFalse(Arrays.equals(ckpt.get("lm_head.weight").toFloatArray(),
                    ckpt.get("model.embed_tokens.weight").toFloatArray()), "seed=" + seed);
            assertFormatError(() -> ckpt.get("model.layers.2.mlp.up_proj.weight"),
                    "synthetic.bin", "no such weight");
        }
    }

    @Test
    void rejectsAFileWhoseSizeDiffersFromTheHeader() throws IOException {
        byte[] good = checkpoint(new Random(1), 8, 6, 1, 2, 2, 5, 3, 0);
        int expected = good.length;
        Path longer = Files.write(dir.resolve("longer.bin"), Arrays.copyOf(good, expected + 4));
        assertFormatError(() -> open(longer), "longer.bin", "file has " + (expected + 4)
                + " bytes", "implies " + expected, "4 extra bytes");
        Path shorter = Files.write(dir.resolve("shorter.bin"), Arrays.copyOf(good, expected - 1));
        assertFormatError(() -> open(shorter), "shorter.bin", "file has " + (expected - 1),
                "implies " + expected, "truncated");
        // a negative vocab_size promises a classifier the file does not hold
        byte[] unshared = good.clone();
        ByteBuffer.wrap(unshared).order(ByteOrder.LITTLE_ENDIAN).putInt(20, -5);
        Path missing = Files.write(dir.resolve("noclassifier.bin"), unshared);
        assertFormatError(() -> open(missing), "implies " + (expected + 5 * 8 * 4));
        Path tiny = Files.write(dir.resolve("tiny.bin"), new byte[12]);
        assertFormatError(() -> open(tiny), "tiny.bin", "12 bytes");
    }

    @Test
    void rejectsZeroNegativeAndInconsistentDims() throws IOException {
        String[] fields = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads",
                "vocab_size", "seq_len"};
        for (int i = 0; i < fields.length; i++) {
            for (int bad : new int[] {0, -3}) {
                if (i == 5 && bad < 0) {
                    continue; // a negative vocab_size is legal: an unshared classifier
                }
                byte[] b = checkpoint(new Random(2), 8, 6, 1, 2, 2, 5, 3, 0);
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(4 * i, bad);
                Path file = Files.write(dir.resolve(fields[i] + bad + ".bin"), b);
                assertFormatError(() -> open(file), fields[i] + "=" + bad, "must be positive");
            }
        }
        Path kv = Files.write(dir.resolve("kv.bin"), checkpoint(new Random(3), 12, 6, 1, 3, 2,
                5, 3, 0));
        assertFormatError(() -> open(kv), "n_heads 3", "multiple of n_kv_heads 2");
        Path heads = Files.write(dir.resolve("heads.bin"), checkpoint(new Random(4), 10, 6, 1,
                4, 4, 5, 3, 0));
        assertFormatError(() -> open(heads), "dim 10", "multiple of n_heads 4");
        Path odd = Files.write(dir.resolve("odd.bin"), checkpoint(new Random(5), 9, 6, 1, 3,
                3, 5, 3, 0));
        assertFormatError(() -> open(odd), "head dim", "= 3", "even");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static void open(Path file) {
        try (Scope scope = Scope.open()) {
            Llama2cCheckpoint.open(file, scope);
        }
    }

    /**
     * A llama2.c file with random weights: the 7-int header, then every array in run.c's
     * order; {@code vocab} negative adds the classifier. The sizes are taken as given (the
     * file may be inconsistent on purpose); {@code extra} floats are appended.
     */
    static byte[] checkpoint(Random rng, int dim, int hidden, int layers, int heads, int kv,
                             int vocab, int seq, int extra) {
        int d = dim / heads;
        int kvDim = kv * d;
        int v = Math.abs(vocab);
        long floats = (long) v * dim + layers * dim + (long) layers * dim * dim
                + 2L * layers * kvDim * dim + (long) layers * dim * dim + layers * dim
                + 3L * layers * hidden * dim + dim + (long) seq * d
                + (vocab < 0 ? (long) v * dim : 0) + extra;
        ByteBuffer b = ByteBuffer.allocate(28 + (int) floats * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(dim).putInt(hidden).putInt(layers).putInt(heads).putInt(kv).putInt(vocab)
                .putInt(seq);
        for (long i = 0; i < floats; i++) {
            b.putFloat((float) rng.nextGaussian());
        }
        return b.array();
    }

    /**
     * Every HF-named weight of a llama2.c file, read with plain offset arithmetic: a list of
     * (name, element count) in file order.
     */
    static Map<String, float[]> readPlainly(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int dim = b.getInt(0);
        int hidden = b.getInt(4);
        int layers = b.getInt(8);
        int heads = b.getInt(12);
        int kv = b.getInt(16);
        int vocab = b.getInt(20);
        int seq = b.getInt(24);
        int d = dim / heads;
        int kvDim = kv * d;
        int v = Math.abs(vocab);

        List<Object[]> arrays = new ArrayList<>();
        arrays.add(new Object[] {"embed", v * dim});
        arrays.add(new Object[] {"rms_att", layers * dim});
        arrays.add(new Object[] {"wq", layers * dim * dim});
        arrays.add(new Object[] {"wk", layers * kvDim * dim});
        arrays.add(new Object[] {"wv", layers * kvDim * dim});
        arrays.add(new Object[] {"wo", layers * dim * dim});
        arrays.add(new Object[] {"rms_ffn", layers * dim});
        arrays.add(new Object[] {"w1", layers * hidden * dim});
        arrays.add(new Object[] {"w2", layers * dim * hidden});
        arrays.add(new Object[] {"w3", layers * hidden * dim});
        arrays.add(new Object[] {"rms_final", dim});
        arrays.add(new Object[] {"freq", seq * d});
        arrays.add(new Object[] {"wcls", vocab < 0 ? v * dim : 0});
        Map<String, float[]> raw = new LinkedHashMap<>();
        int at = 28;
        for (Object[] a : arrays) {
            float[] x = new float[(Integer) a[1]];
            for (int i = 0; i < x.length; i++, at += 4) {
                x[i] = b.getFloat(at);
            }
            raw.put((String) a[0], x);
        }

        Map<String, float[]> w = new LinkedHashMap<>();
        w.put("model.embed_tokens.weight", raw.get("embed"));
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            w.put(p + "input_layernorm.weight", layer(raw.get("rms_att"), l, dim));
            w.put(p + "self_attn.q_proj.weight", layer(raw.get("wq"), l, dim * dim));
            w.put(p + "self_attn.k_proj.weight", layer(raw.get("wk"), l, kvDim * dim));
            w.put(p + "self_attn.v_proj.weight", layer(raw.get("wv"), l, kvDim * dim));
            w.put(p + "self_attn.o_proj.weight", layer(raw.get("wo"), l, dim * dim));
            w.put(p + "post_attention_layernorm.weight", layer(raw.get("rms_ffn"), l, dim));
            w.put(p + "mlp.gate_proj.weight", layer(raw.get("w1"), l, hidden * dim));
            w.put(p + "mlp.up_proj.weight", layer(raw.get("w3"), l, hidden * dim));
            w.put(p + "mlp.down_proj.weight", layer(raw.get("w2"), l, dim * hidden));
        }
        w.put("model.norm.weight", raw.get("rms_final"));
        w.put("lm_head.weight", vocab < 0 ? raw.get("wcls") : raw.get("embed"));
        return w;
    }

    private static float[] layer(float[] stacked, int l, int size) {
        return Arrays.copyOfRange(stacked, l * size, (l + 1) * size);
    }
}
