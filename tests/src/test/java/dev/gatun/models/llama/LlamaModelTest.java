package dev.gatun.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gatun.Backend;
import dev.gatun.Backends;
import dev.gatun.DType;
import dev.gatun.Device;
import dev.gatun.Ops;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.io.HfConfig;
import dev.gatun.io.LlamaWeights;
import dev.gatun.nn.KVCache;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** A small random Llama against {@link LlamaReference}, on every usable backend. */
class LlamaModelTest {
    // C 24, F 40, L 2, H 4, Hkv 2 (D 6), V 29, context 16
    static final LlamaConfig CONFIG = new LlamaConfig(24, 40, 2, 4, 2, 29, 16, 1e-5f, 10000f);

    static Stream<Arguments> backendsAndRope() {
        List<Arguments> out = new ArrayList<>();
        // host-memory backends only: dev.gatun.backend.cuda runs the model on CUDA
        for (Backends.Info info : Backends.list()) {
            if (info.usable() && Backends.get(info.name()).device() == Device.CPU) {
                for (RopeStyle style : RopeStyle.values()) {
                    out.add(Arguments.of(info.name(), style));
                }
            }
        }
        if (out.isEmpty()) {
            fail("no usable backend: " + Backends.list());
        }
        return out.stream();
    }

    /** Random weights under Hugging Face names; tied classifier unless {@code untied}. */
    static Map<String, Tensor> weights(Scope scope, LlamaConfig cfg, SplittableRandom random,
                                       boolean untied) {
        int c = cfg.dim();
        int f = cfg.hidden();
        int q = cfg.heads() * cfg.headDim();
        int kv = cfg.kvHeads() * cfg.headDim();
        Map<String, Tensor> w = new HashMap<>();
        w.put("model.embed_tokens.weight", random(scope, random, 1.0, cfg.vocab(), c));
        for (int i = 0; i < cfg.layers(); i++) {
            String p = "model.layers." + i + ".";
            w.put(p + "input_layernorm.weight", gamma(scope, random, c));
            w.put(p + "self_attn.q_proj.weight", random(scope, random, 1 / Math.sqrt(c), q, c));
            w.put(p + "self_attn.k_proj.weight", random(scope, random, 1 / Math.sqrt(c), kv, c));
            w.put(p + "self_attn.v_proj.weight", random(scope, random, 1 / Math.sqrt(c), kv, c));
            w.put(p + "self_attn.o_proj.weight", random(scope, random, 1 / Math.sqrt(q), c, q));
            w.put(p + "post_attention_layernorm.weight", gamma(scope, random, c));
            w.put(p + "mlp.gate_proj.weight", random(scope, random, 1 / Math.sqrt(c), f, c));
            w.put(p + "mlp.up_proj.weight", random(scope, random, 1 / Math.sqrt(c), f, c));
            w.put(p + "mlp.down_proj.weight", random(scope, random, 1 / Math.sqrt(f), c, f));
        }
        w.put("model.norm.weight", gamma(scope, random, c));
        if (untied) {
            w.put("lm_head.weight", random(scope, random, 1 / Math.sqrt(c), cfg.vocab(), c));
        }
        return w;
    }

    static Tensor random(Scope scope, SplittableRandom random, double scale, int rows,
                         int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return Tensor.fromFloats(scope, v, rows, cols);
    }

    static Tensor gamma(Scope scope, SplittableRandom random, int c) {
        float[] v = new float[c];
        for (int i = 0; i < c; i++) {
            v[i] = (float) (1 + (random.nextDouble() - 0.5) * 0.5);
        }
        return Tensor.fromFloats(scope, v, c);
    }

    static void assertRowClose(double[] expected, float[] actual, int from, double tol,
                               String what) {
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[from + i] - expected[i]);
            if (!(err <= tol * (1 + Math.abs(expected[i])))) {
                fail(what + ": index " + i + " expected " + expected[i] + ", got "
                        + actual[from + i]);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backendsAndRope")
    void prefillAndCachedStepsMatchReference(String backend, RopeStyle style) {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        try (Scope scope = Scope.open()) {
            Map<String, Tensor> w = weights(scope, CONFIG, random, style == RopeStyle.HALF_SPLIT);
            LlamaModel model = LlamaModel.fromWeights(w, CONFIG, style);
            LlamaReference ref = new LlamaReference(w, CONFIG, style);
            Ops ops = new Ops(Backends.get(backend), scope);
            int t = 11;
            int[] tokens = new int[t];
            double[][] expected = new double[t][];
            for (int i = 0; i < t; i++) {
                tokens[i] = random.nextInt(CONFIG.vocab());
                expected[i] = ref.step(tokens[i], i);
            }
            int v = CONFIG.vocab();

            // one prefill of all tokens, no cache
            float[] prefill = model.forward(ops, tokens).toFloatArray();
            assertEquals(t * v, prefill.length);
            for (int i = 0; i < t; i++) {
                assertRowClose(expected[i], prefill, i * v, 1e-4, "prefill position " + i
                        + " (seed " + seed + ")");
            }

            // a prefill of 4 into the cache, then one token per call
            KVCache cache = model.newCache(ops, t);
            float[] first = model.forward(ops, cache, java.util.Arrays.copyOf(tokens, 4), 0)
                    .toFloatArray();
            for (int i = 0; i < 4; i++) {
                assertRowClose(expected[i], first, i * v, 1e-4, "cached prefill position " + i
                        + " (seed " + seed + ")");
            }
            for (int i = 4; i < t; i++) {
                try (Scope step = Scope.open()) {
                    float[] logits = model.forward(new Ops(ops.backend(), step), cache,
                            new int[] {tokens[i]}, i).toFloatArray();
                    assertRowClose(expected[i], logits, 0, 1e-4, "cached step " + i + " (seed "
                            + seed + ")");
                }
            }
            assertEquals(t, cache.length());

            // rewinding to position 6 and running it again gives the same logits
            float[] again = model.forward(ops, cache, new int[] {tokens[6], tokens[7]}, 6)
                    .toFloatArray();
            assertRowClose(expected[7], again, v, 1e-4, "after rewind (seed " + seed + ")");
            assertEquals(8, cache.length());
        }
    }

    @ParameterizedTest
    @MethodSource("backendsAndRope")
    void generateGreedyFollowsTheReferenceAndStops(String backend, RopeStyle style) {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        try (Scope scope = Scope.open()) {
            // untied: with a tied classifier the current token's own embedding dominates
            // and greedy decoding repeats it whatever attention does
            Map<String, Tensor> w = weights(scope, CONFIG, random, true);
            LlamaModel model = LlamaModel.fromWeights(w, CONFIG, style);
            Backend b = Backends.get(backend);
            int[] prompt = {3, 17, 5};
            List<Integer> seen = new ArrayList<>();
            int[] out = model.generate(b, prompt, 13, Sampler.greedy(), -1, tok -> {
                seen.add(tok);
                return true;
            });
            assertEquals(13, out.length, "prompt 3 + 13 new tokens fill the context of 16");
            assertArrayEquals(out, seen.stream().mapToInt(Integer::intValue).toArray());

            // each token is the reference's argmax (up to a near-tie) of the sequence so far
            LlamaReference ref = new LlamaReference(w, CONFIG, style);
            double[] logits = null;
            for (int i = 0; i < prompt.length; i++) {
                logits = ref.step(prompt[i], i);
            }
            for (int i = 0; i < out.length; i++) {
                double best = java.util.Arrays.stream(logits).max().orElseThrow();
                assertTrue(logits[out[i]] >= best - 1e-4, "token " + i + " = " + out[i]
                        + " has reference logit " + logits[out[i]] + ", best " + best
                        + " (seed " + seed + ")");
                if (i + 1 < out.length) {
                    logits = ref.step(out[i], prompt.length + i);
                }
            }

            // a stop token ends generation before it is emitted; false from the callback
            // ends it after the token
            int[] stopped = model.generate(b, prompt, 13, Sampler.greedy(), out[4], tok -> true);
            int firstStop = 0;
            while (out[firstStop] != out[4]) {
                firstStop++;
            }
            assertArrayEquals(java.util.Arrays.copyOf(out, firstStop), stopped);
            int[] two = model.generate(b, prompt, 13, Sampler.greedy(), -1, tok -> false);
            assertEquals(1, two.length);
            assertEquals(out[0], two[0]);
        }
    }

    @ParameterizedTest
    @MethodSource("backendsAndRope")
    void bf16CheckpointRunsInBf16(String backend, RopeStyle style) {
        long seed = new SplittableRandom().nextLong();
        try (Scope scope = Scope.open()) {
            // every weight rounded to BF16, norms included (as Hugging Face stores them)
            Map<String, Tensor> f32 = weights(scope, CONFIG, new SplittableRandom(seed), true);
            Map<String, Tensor> bf16 = new HashMap<>();
            for (Map.Entry<String, Tensor> e : f32.entrySet()) {
                Tensor t = Tensor.allocate(scope, DType.BF16, e.getValue().shape());
                t.copyFrom(e.getValue());
                bf16.put(e.getKey(), t);
            }
            HfConfig hf = HfConfig.llama(CONFIG.dim(), CONFIG.layers(), CONFIG.heads(),
                    CONFIG.kvHeads(), CONFIG.hidden(), CONFIG.maxPositions(), CONFIG.vocab(),
                    CONFIG.rmsEps(), CONFIG.ropeTheta(), false, 1, 2);
            LlamaWeights weights = new LlamaWeights() {
                @Override
                public RopeStyle ropeStyle() {
                    return style;
                }

                @Override
                public HfConfig config() {
                    return hf;
                }

                @Override
                public Set<String> names() {
                    return bf16.keySet();
                }

                @Override
                public Tensor get(String name) {
                    return bf16.get(name);
                }
            };
            LlamaModel model = LlamaModel.load(weights, scope);
            Ops ops = new Ops(Backends.get(backend), scope);
            int[] tokens = {4, 9, 1, 22, 13, 7};
            Tensor logits = model.forward(ops, tokens);
            assertEquals(DType.BF16, logits.dtype());

            // against float64 over the same BF16-rounded weights; activations round to BF16
            // (8 bits of mantissa) between ops
            LlamaReference ref = new LlamaReference(bf16, CONFIG, style);
            float[] got = logits.toFloatArray();
            for (int i = 0; i < tokens.length; i++) {
                assertRowClose(ref.step(tokens[i], i), got, i * CONFIG.vocab(), 5e-2,
                        "BF16 position " + i + " (seed " + seed + ")");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backendsAndRope")
    void seededSamplingRepeats(String backend, RopeStyle style) {
        long seed = new SplittableRandom().nextLong();
        try (Scope scope = Scope.open()) {
            Map<String, Tensor> w = weights(scope, CONFIG, new SplittableRandom(seed), false);
            LlamaModel model = LlamaModel.fromWeights(w, CONFIG, style);
            Backend b = Backends.get(backend);
            int[] a = model.generate(b, new int[] {1}, 15, Sampler.topP(1.2f, 0.9f, seed), -1,
                    t -> true);
            int[] c = model.generate(b, new int[] {1}, 15, Sampler.topP(1.2f, 0.9f, seed), -1,
                    t -> true);
            assertArrayEquals(a, c, "same seed, same tokens (seed " + seed + ")");
        }
    }

    @ParameterizedTest
    @MethodSource("backendsAndRope")
    void rejectsPositionsPastTheContextAndBadWeights(String backend, RopeStyle style) {
        SplittableRandom random = new SplittableRandom();
        try (Scope scope = Scope.open()) {
            Map<String, Tensor> w = weights(scope, CONFIG, random, false);
            LlamaModel model = LlamaModel.fromWeights(w, CONFIG, style);
            Backend b = Backends.get(backend);
            Ops ops = new Ops(b, scope);

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.generate(b, new int[] {1, 2}, 15, Sampler.greedy(), -1,
                            t -> true));
            assertTrue(e.getMessage().contains("exceeds the context of 16"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> model.forward(ops, new int[17]));
            assertThrows(IllegalArgumentException.class, () -> model.newCache(ops, 17));
            KVCache cache = model.newCache(ops, 8);
            model.forward(ops, cache, new int[] {1, 2, 3}, 0);
            assertThrows(IllegalArgumentException.class,
                    () -> model.forward(ops, cache, new int[] {4}, 4));
            assertThrows(IllegalArgumentException.class,
                    () -> model.forward(ops, cache, new int[6], 3));
            assertEquals(3, cache.length(), "refused calls leave the cache unchanged");
            assertThrows(IllegalArgumentException.class,
                    () -> model.forward(ops, new int[] {CONFIG.vocab()}));

            Map<String, Tensor> missing = new HashMap<>(w);
            missing.remove("model.layers.1.mlp.up_proj.weight");
            e = assertThrows(IllegalArgumentException.class,
                    () -> LlamaModel.fromWeights(missing, CONFIG, style));
            assertTrue(e.getMessage().contains("model.layers.1.mlp.up_proj.weight"),
                    e.getMessage());
            Map<String, Tensor> wrong = new HashMap<>(w);
            wrong.put("model.norm.weight", random(scope, random, 1, 1, CONFIG.dim()));
            assertThrows(IllegalArgumentException.class,
                    () -> LlamaModel.fromWeights(wrong, CONFIG, style));
        }
    }
}
