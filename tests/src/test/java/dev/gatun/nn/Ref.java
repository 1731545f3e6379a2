package dev.gatun.nn;

import dev.gatun.RopeStyle;

/**
 * Plain float64 references of the layers, written as directly as the papers state them.
 * Activations are row-major [B, T, C] arrays with C = H·D (head h in columns h·D ..);
 * weights are PyTorch's [N, K].
 */
final class Ref {
    private Ref() {}

    /** y[r, n] = act(sum_k x[r, k] w[n, k] + bias[n]); x [rows, K], w [N, K]. */
    static double[] linear(double[] x, int rows, int k, double[] w, int n, double[] bias) {
        double[] y = new double[rows * n];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                double s = bias == null ? 0 : bias[j];
                for (int i = 0; i < k; i++) {
                    s += x[r * k + i] * w[j * k + i];
                }
                y[r * n + j] = s;
            }
        }
        return y;
    }

    static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    /** erf to about 1e-15 (series for small |x|, continued fraction for large). */
    static double erf(double x) {
        double a = Math.abs(x);
        double r;
        if (a < 2.5) {
            double term = a;
            double sum = a;
            for (int n = 1; n < 80; n++) {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc by Lentz's continued fraction
            double f = 0;
            for (int n = 60; n >= 1; n--) {
                f = n / 2.0 / (a + f);
            }
            r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
        }
        return x < 0 ? -r : r;
    }

    static double[] map(double[] x, java.util.function.DoubleUnaryOperator f) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = f.applyAsDouble(x[i]);
        }
        return y;
    }

    static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] + b[i % b.length];
        }
        return y;
    }

    static double[] mul(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] * b[i];
        }
        return y;
    }

    /** Layer norm of each row of x [rows, C]; beta may be null. */
    static double[] layerNorm(double[] x, int c, double[] gamma, double[] beta, double eps) {
        int rows = x.length / c;
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int i = 0; i < c; i++) {
                mean += x[r * c + i];
            }
            mean /= c;
            double var = 0;
            for (int i = 0; i < c; i++) {
                double d = x[r * c + i] - mean;
                var += d * d;
            }
            var /= c;
            double inv = 1 / Math.sqrt(var + eps);
            for (int i = 0; i < c; i++) {
                y[r * c + i] = (x[r * c + i] - mean) * inv * gamma[i]
                        + (beta == null ? 0 : beta[i]);
            }
        }
        return y;
    }

    /** RMS norm of each row of x [rows, C]. */
    static double[] rmsNorm(double[] x, int c, double[] gamma, double eps) {
        int rows = x.length / c;
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int i = 0; i < c; i++) {
                ss += x[r * c + i] * x[r * c + i];
            }
            double inv = 1 / Math.sqrt(ss / c + eps);
            for (int i = 0; i < c; i++) {
                y[r * c + i] = x[r * c + i] * inv * gamma[i];
            }
        }
        return y;
    }

    /**
     * Rotates each head of x [B, T, n·D] in place at positions start + t.
     */
    static void rope(double[] x, int b, int t, int n, int d, int start, double theta,
                     RopeStyle style) {
        for (int bi = 0; bi < b; bi++) {
            for (int ti = 0; ti < t; ti++) {
                for (int h = 0; h < n; h++) {
                    int base = ((bi * t + ti) * n + h) * d;
                    for (int i = 0; i < d / 2; i++) {
                        double freq = Math.pow(theta, -2.0 * i / d);
                        double angle = (start + ti) * freq;
                        int i0 = style == RopeStyle.INTERLEAVED ? 2 * i : i;
                        int i1 = style == RopeStyle.INTERLEAVED ? 2 * i + 1 : i + d / 2;
                        double x0 = x[base + i0];
                        double x1 = x[base + i1];
                        x[base + i0] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
                        x[base + i1] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
                    }
                }
            }
        }
    }

    /** Output [B, Tq, H·D] and probabilities [B, H, Tq, Tk] of one attention call. */
    record Attention(double[] out, double[] weights) {}

    /**
     * softmax(q k^T / sqrt(D) + mask) v with query head h reading kv head h / (H / Hkv).
     *
     * @param q       [B, Tq, H·D]
     * @param k       [B, Tk, Hkv·D]
     * @param v       [B, Tk, Hkv·D]
     * @param mask    additive [B, H, Tq, Tk] or null
     * @param lengths valid keys per batch, or null
     */
    static Attention attention(double[] q, double[] k, double[] v, int b, int tq, int tk,
                               int h, int hkv, int d, boolean causal, double[] mask,
                               int[] lengths) {
        double[] out = new double[b * tq * h * d];
        double[] weights = new double[b * h * tq * tk];
        double scale = 1 / Math.sqrt(d);
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < h; hi++) {
                int g = hi / (h / hkv);
                for (int i = 0; i < tq; i++) {
                    double[] s = new double[tk];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < tk; j++) {
                        boolean hidden = (causal && j > i + tk - tq)
                                || (lengths != null && j >= lengths[bi]);
                        double dot = 0;
                        for (int e = 0; e < d; e++) {
                            dot += q[((bi * tq + i) * h + hi) * d + e]
                                    * k[((bi * tk + j) * hkv + g) * d + e];
                        }
                        double m = mask == null ? 0 : mask[((bi * h + hi) * tq + i) * tk + j];
                        s[j] = hidden ? Double.NEGATIVE_INFINITY : dot * scale + m;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < tk; j++) {
                        s[j] = max == Double.NEGATIVE_INFINITY ? 0 : Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j < tk; j++) {
                        double p = sum == 0 ? 0 : s[j] / sum;
                        weights[((bi * h + hi) * tq + i) * tk + j] = p;
                        for (int e = 0; e < d; e++) {
                            out[((bi * tq + i) * h + hi) * d + e] +=
                                    p * v[((bi * tk + j) * hkv + g) * d + e];
                        }
                    }
                }
            }
        }
        return new Attention(out, weights);
    }
}
