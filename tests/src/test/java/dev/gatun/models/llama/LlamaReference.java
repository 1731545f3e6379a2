package dev.gatun.models.llama;

import dev.gatun.RopeStyle;
import dev.gatun.Tensor;

import java.util.Map;

/**
 * A plain float64 Llama forward pass over a weight map with Hugging Face names, one token at
 * a time with its own key/value arrays, written after llama2.c's run.c.
 */
final class LlamaReference {
    private final LlamaConfig cfg;
    private final RopeStyle style;
    private final Map<String, double[]> w = new java.util.HashMap<>();
    private final double[][] keys;   // [L][pos * Hkv * D]
    private final double[][] values; // [L][pos * Hkv * D]

    LlamaReference(Map<String, Tensor> weights, LlamaConfig cfg, RopeStyle style) {
        this.cfg = cfg;
        this.style = style;
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            float[] f = e.getValue().toFloatArray();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            w.put(e.getKey(), d);
        }
        if (!w.containsKey("lm_head.weight")) {
            w.put("lm_head.weight", w.get("model.embed_tokens.weight"));
        }
        int kvWidth = cfg.kvHeads() * cfg.headDim();
        keys = new double[cfg.layers()][cfg.maxPositions() * kvWidth];
        values = new double[cfg.layers()][cfg.maxPositions() * kvWidth];
    }

    /** The logits [V] of {@code token} at position {@code pos}, after positions 0..pos-1. */
    double[] step(int token, int pos) {
        int c = cfg.dim();
        int d = cfg.headDim();
        int h = cfg.heads();
        int hkv = cfg.kvHeads();
        double[] x = new double[c];
        System.arraycopy(w.get("model.embed_tokens.weight"), token * c, x, 0, c);

        for (int l = 0; l < cfg.layers(); l++) {
            String p = "model.layers." + l + ".";

            // attention: q, k, v of rmsnorm(x); rotate q and k; store k, v at pos
            double[] xn = rms(x, w.get(p + "input_layernorm.weight"));
            double[] q = mat(w.get(p + "self_attn.q_proj.weight"), xn, h * d);
            double[] k = mat(w.get(p + "self_attn.k_proj.weight"), xn, hkv * d);
            double[] v = mat(w.get(p + "self_attn.v_proj.weight"), xn, hkv * d);
            rope(q, h, d, pos);
            rope(k, hkv, d, pos);
            System.arraycopy(k, 0, keys[l], pos * hkv * d, hkv * d);
            System.arraycopy(v, 0, values[l], pos * hkv * d, hkv * d);

            double[] att = new double[h * d];
            for (int head = 0; head < h; head++) {
                int g = head / (h / hkv);
                double[] s = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t <= pos; t++) {
                    double dot = 0;
                    for (int e = 0; e < d; e++) {
                        dot += q[head * d + e] * keys[l][(t * hkv + g) * d + e];
                    }
                    s[t] = dot / Math.sqrt(d);
                    max = Math.max(max, s[t]);
                }
                double sum = 0;
                for (int t = 0; t <= pos; t++) {
                    s[t] = Math.exp(s[t] - max);
                    sum += s[t];
                }
                for (int t = 0; t <= pos; t++) {
                    for (int e = 0; e < d; e++) {
                        att[head * d + e] += s[t] / sum * values[l][(t * hkv + g) * d + e];
                    }
                }
            }
            double[] o = mat(w.get(p + "self_attn.o_proj.weight"), att, c);
            for (int i = 0; i < c; i++) {
                x[i] += o[i];
            }

            // feed-forward: down(silu(gate(rmsnorm(x))) * up(rmsnorm(x)))
            double[] hn = rms(x, w.get(p + "post_attention_layernorm.weight"));
            int f = cfg.hidden();
            double[] gate = mat(w.get(p + "mlp.gate_proj.weight"), hn, f);
            double[] up = mat(w.get(p + "mlp.up_proj.weight"), hn, f);
            for (int i = 0; i < f; i++) {
                gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
            }
            double[] down = mat(w.get(p + "mlp.down_proj.weight"), gate, c);
            for (int i = 0; i < c; i++) {
                x[i] += down[i];
            }
        }
        return mat(w.get("lm_head.weight"), rms(x, w.get("model.norm.weight")), cfg.vocab());
    }

    private double[] rms(double[] x, double[] gamma) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double inv = 1 / Math.sqrt(ss / x.length + cfg.rmsEps());
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * inv * gamma[i];
        }
        return y;
    }

    /** y = W x with W [n, len(x)]. */
    private static double[] mat(double[] weight, double[] x, int n) {
        double[] y = new double[n];
        for (int r = 0; r < n; r++) {
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                s += weight[r * x.length + i] * x[i];
            }
            y[r] = s;
        }
        return y;
    }

    private void rope(double[] x, int heads, int d, int pos) {
        for (int head = 0; head < heads; head++) {
            for (int i = 0; i < d / 2; i++) {
                double angle = pos * Math.pow(cfg.ropeTheta(), -2.0 * i / d);
                int i0 = head * d + (style == RopeStyle.INTERLEAVED ? 2 * i : i);
                int i1 = head * d + (style == RopeStyle.INTERLEAVED ? 2 * i + 1 : i + d / 2);
                double a = x[i0];
                double b = x[i1];
                x[i0] = a * Math.cos(angle) - b * Math.sin(angle);
                x[i1] = a * Math.sin(angle) + b * Math.cos(angle);
            }
        }
    }
}
