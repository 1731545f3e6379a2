package dev.gatun.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gatun.Backends;
import dev.gatun.Ops;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random weights held twice, as Gatun modules and as float64 arrays for {@link Ref}, plus
 * the usable backends and a tolerance check. One per test: fresh seed, printed on failure.
 */
final class Support implements AutoCloseable {
    final long seed;
    final SplittableRandom random;
    final Scope scope = Scope.open();

    Support() {
        this(new SplittableRandom().nextLong());
    }

    Support(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    /**
     * The names of the host-memory backends that can run here; the nn tests run on each
     * (they build their data in host memory; dev.gatun.backend.cuda tests the CUDA backend).
     */
    static List<String> backends() {
        List<String> names = Backends.list().stream().filter(Backends.Info::usable)
                .map(Backends.Info::name)
                .filter(n -> Backends.get(n).device() == dev.gatun.Device.CPU).toList();
        if (names.isEmpty()) {
            fail("no usable backend: " + Backends.list());
        }
        return names;
    }

    Ops ops(String backend) {
        return new Ops(Backends.get(backend), scope);
    }

    @Override
    public void close() {
        scope.close();
    }

    /** A parameter: the F32 tensor and the same values widened. */
    record Param(Tensor tensor, double[] values) {}

    /** Uniform values in [-scale, scale] as an F32 tensor of {@code shape}. */
    Param param(double scale, long... shape) {
        int n = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
        float[] f = new float[n];
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
            d[i] = f[i];
        }
        return new Param(Tensor.fromFloats(scope, f, shape), d);
    }

    /** A linear layer [N, K] (with a bias when asked) and its reference. */
    record Lin(Linear module, double[] w, double[] b, int n, int k) {
        double[] apply(double[] x) {
            return Ref.linear(x, x.length / k, k, w, n, b);
        }
    }

    Lin linear(int n, int k, boolean bias) {
        Param w = param(1 / Math.sqrt(k), n, k);
        Param b = bias ? param(0.2, n) : null;
        return new Lin(new Linear(w.tensor(), b == null ? null : b.tensor()), w.values(),
                b == null ? null : b.values(), n, k);
    }

    /** A layer norm (or RMS norm) of width c and its parameters. */
    record NormParams(Norm module, double[] gamma, double[] beta, double eps, boolean rms) {
        double[] apply(double[] x) {
            int c = gamma.length;
            return rms ? Ref.rmsNorm(x, c, gamma, eps) : Ref.layerNorm(x, c, gamma, beta, eps);
        }
    }

    NormParams layerNorm(int c) {
        Param g = param(0.5, c);
        Param b = param(0.3, c);
        double[] gamma = Arrays.stream(g.values()).map(v -> 1 + v).toArray();
        Tensor gt = Tensor.fromFloats(scope, toFloats(gamma), c);
        return new NormParams(new LayerNorm(gt, b.tensor(), 1e-5f), gamma, b.values(), 1e-5,
                false);
    }

    NormParams rmsNorm(int c) {
        Param g = param(0.5, c);
        double[] gamma = Arrays.stream(g.values()).map(v -> 1 + v).toArray();
        Tensor gt = Tensor.fromFloats(scope, toFloats(gamma), c);
        return new NormParams(new RMSNorm(gt, 1e-5f), gamma, null, 1e-5, true);
    }

    /** An attention layer and its reference. */
    record Attn(MultiHeadAttention module, Lin q, Lin k, Lin v, Lin o, int h, int hkv, int d,
                MultiHeadAttention.Rope rope) {

        /** Projected, rotated keys or values of a sequence: [B, T, Hkv·D]. */
        double[] project(Lin proj, double[] x, int b, int t, int start, boolean rotate) {
            double[] y = proj.apply(x);
            if (rotate && rope != null) {
                Ref.rope(y, b, t, y.length / (b * t * d), d, start, rope.theta(),
                        rope.style());
            }
            return y;
        }

        /**
         * The layer's output [B, Tq, Cout] for queries x [B, Tq, C] (positions from start)
         * over keys from memory [B, Tk, Cm] (x itself when null); residual may be null.
         */
        Ref.Attention apply(double[] x, int b, int tq, double[] memory, int tk, int start,
                            boolean causal, double[] mask, int[] lengths, double[] residual) {
            boolean self = memory == null;
            double[] src = self ? x : memory;
            int sk = self ? tq : tk;
            double[] qh = project(q, x, b, tq, start, self);
            double[] kh = project(k, src, b, sk, start, self);
            double[] vh = project(v, src, b, sk, start, false);
            Ref.Attention a = Ref.attention(qh, kh, vh, b, tq, sk, h, hkv, d, causal, mask,
                    lengths);
            double[] y = o.apply(a.out());
            return new Ref.Attention(residual == null ? y : Ref.add(y, residual),
                    a.weights());
        }
    }

    Attn attention(int c, int cm, int h, int hkv, int d, boolean bias,
                   MultiHeadAttention.Rope rope) {
        Lin q = linear(h * d, c, bias);
        Lin k = linear(hkv * d, cm, bias);
        Lin v = linear(hkv * d, cm, bias);
        Lin o = linear(c, h * d, bias);
        MultiHeadAttention m = new MultiHeadAttention(q.module(), k.module(), v.module(),
                o.module(), h, hkv, rope);
        return new Attn(m, q, k, v, o, h, hkv, d, rope);
    }

    static MultiHeadAttention.Rope rope(RopeStyle style) {
        return new MultiHeadAttention.Rope(style, 10000f);
    }

    /** A feed-forward block and its reference. */
    record Ffn(FeedForward module, Lin first, Lin up, Lin second, boolean gated) {
        double[] apply(double[] x, double[] residual) {
            double[] h = gated
                    ? Ref.mul(Ref.map(first.apply(x), Ref::silu), up.apply(x))
                    : Ref.map(first.apply(x), Ref::gelu);
            double[] y = second.apply(h);
            return residual == null ? y : Ref.add(y, residual);
        }
    }

    Ffn gelu(int c, int f) {
        Lin w1 = linear(f, c, true);
        Lin w2 = linear(c, f, true);
        return new Ffn(FeedForward.gelu(w1.module(), w2.module()), w1, null, w2, false);
    }

    Ffn swiGlu(int c, int f) {
        Lin gate = linear(f, c, false);
        Lin up = linear(f, c, false);
        Lin down = linear(c, f, false);
        return new Ffn(FeedForward.swiGlu(gate.module(), up.module(), down.module()), gate,
                up, down, true);
    }

    /** An encoder layer and its reference. */
    record EncLayer(EncoderLayer module, Attn attn, NormParams n1, Ffn ffn, NormParams n2,
                    boolean pre) {
        Ref.Attention apply(double[] x, int b, int t, int[] lengths) {
            if (pre) {
                Ref.Attention a = attn.apply(n1.apply(x), b, t, null, t, 0, false, null,
                        lengths, x);
                double[] h = a.out();
                return new Ref.Attention(ffn.apply(n2.apply(h), h), a.weights());
            }
            Ref.Attention a = attn.apply(x, b, t, null, t, 0, false, null, lengths, x);
            double[] h = n1.apply(a.out());
            return new Ref.Attention(n2.apply(ffn.apply(h, h)), a.weights());
        }
    }

    EncLayer encoderLayer(int c, int h, int f, boolean pre) {
        Attn attn = attention(c, c, h, h, c / h, true, null);
        NormParams n1 = layerNorm(c);
        Ffn ffn = gelu(c, f);
        NormParams n2 = layerNorm(c);
        EncoderLayer m = new EncoderLayer(attn.module(), n1.module(), ffn.module(),
                n2.module(), pre);
        return new EncLayer(m, attn, n1, ffn, n2, pre);
    }

    /** A decoder layer and its reference. */
    record DecLayer(DecoderLayer module, Attn self, NormParams n1, Attn cross, NormParams n2,
                    Ffn ffn, NormParams n3, boolean pre) {
        /** x [B, T, C] at positions 0..T-1 over memory [B, Ts, C] with source lengths. */
        double[] apply(double[] x, int b, int t, double[] memory, int ts, int[] lengths) {
            if (pre) {
                double[] h1 = self.apply(n1.apply(x), b, t, null, t, 0, true, null, null, x)
                        .out();
                double[] h2 = cross.apply(n2.apply(h1), b, t, memory, ts, 0, false, null,
                        lengths, h1).out();
                return ffn.apply(n3.apply(h2), h2);
            }
            double[] h1 = n1.apply(self.apply(x, b, t, null, t, 0, true, null, null, x).out());
            double[] h2 = n2.apply(cross.apply(h1, b, t, memory, ts, 0, false, null, lengths,
                    h1).out());
            return n3.apply(ffn.apply(h2, h2));
        }
    }

    DecLayer decoderLayer(int c, int h, int hkv, int f, boolean pre) {
        Attn self = attention(c, c, h, hkv, c / h, true, null);
        NormParams n1 = layerNorm(c);
        Attn cross = attention(c, c, h, hkv, c / h, true, null);
        NormParams n2 = layerNorm(c);
        Ffn ffn = gelu(c, f);
        NormParams n3 = layerNorm(c);
        DecoderLayer m = new DecoderLayer(self.module(), n1.module(), cross.module(),
                n2.module(), ffn.module(), n3.module(), pre);
        return new DecLayer(m, self, n1, cross, n2, ffn, n3, pre);
    }

    /** An F32 input tensor of uniform values in [-1, 1] and its values. */
    Param input(long... shape) {
        return param(1.0, shape);
    }

    /** Random ids in [0, v) as int[n]. */
    int[] ids(int n, int v) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = random.nextInt(v);
        }
        return out;
    }

    static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** Asserts |actual - expected| <= tol (1 + |expected|) elementwise, naming the seed. */
    void assertClose(double[] expected, Tensor actual, double tol, String what) {
        assertClose(expected, actual.toFloatArray(), tol, what);
    }

    void assertClose(double[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": element count (seed " + seed
                + ")");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i]));
            if (!(err <= worst)) {
                worst = err;
                at = i;
                if (Double.isNaN(err)) {
                    break;
                }
            }
        }
        if (!(worst <= tol)) {
            fail(what + ": relative error " + worst + " > " + tol + " at index " + at
                    + " (expected " + expected[at] + ", got " + actual[at] + "; seed " + seed
                    + ")");
        }
    }
}
