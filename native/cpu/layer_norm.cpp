// gatun_layer_norm and gatun_rms_norm, with the residual add fused in front:
//   x = src + residual (in f32: the unrounded sum is what is normalised),
//   sum_dst = x rounded to dtype, when asked,
//   dst = (x - mean) / sqrt(var + eps) * gamma + beta  (RMSNorm: mean = 0, no beta).
// Plain loops, a row at a time, statistics in double; rows are spread by share() once the
// call has kLoopElements elements.
//
// Why not oneDNN's layer normalization (used here before): its kernel (jit:uni in 3.13)
// ignores row strides, takes the variance in fp32, and each execution wakes OpenMP's
// threads. On the 2-core Xeon of bench/RESULTS.md, MiniLM's norms of about 140 x 384 (a batch
// of 8 sentences, residual fused) took 77 us a call inside the model that way; these loops
// take 27 us (38 on one thread) in isolation.
#include <algorithm>
#include <cmath>

#include "common.hpp"
#include "helpers.hpp"

namespace gatun {

namespace {

struct NormArgs {
    bool rms;
    int32_t dtype;
    int64_t rows, c;
    const void *src;
    int64_t src_ld;
    const void *residual;
    int64_t residual_ld;
    const float *gamma, *beta;
    float eps;
    void *dst;
    int64_t dst_ld;
    void *sum_dst;
    int64_t sum_ld;
};

void check_norm(const NormArgs &a) {
    check_float_dtype("dtype", a.dtype);
    check(a.rows >= 0 && a.c >= 0, "rows and c must be >= 0, got rows=", a.rows, " c=", a.c);
    check(a.eps >= 0.f, "eps must be >= 0, got ", a.eps);
    if (a.rows == 0 || a.c == 0) {
        return;
    }
    check_not_null(a.src, "src");
    check_not_null(a.dst, "dst");
    // a single row's stride is never used
    check(a.rows == 1 || a.src_ld >= a.c, "src_ld must be >= c=", a.c, ", got ", a.src_ld);
    check(a.rows == 1 || a.dst_ld >= a.c, "dst_ld must be >= c=", a.c, ", got ", a.dst_ld);
    check(a.residual == nullptr || a.rows == 1 || a.residual_ld >= a.c,
          "residual_ld must be >= c=", a.c, ", got ", a.residual_ld);
    check(a.sum_dst == nullptr || a.rows == 1 || a.sum_ld >= a.c, "sum_ld must be >= c=",
          a.c, ", got ", a.sum_ld);
}

// Below this many elements a norm runs on the calling thread; above, in items this big.
constexpr int64_t kLoopElements = kParallelThreshold;

// The sum over j in [0, n) of x(j) - shift, or of its square, in double: kLanes partial
// sums side by side (always in the same order, so the result is reproducible), which the
// compiler turns into vector adds; one running sum is a chain of dependent adds, 4 cycles
// per element.
template <class X>
double sum_of(int64_t n, const X &x, double shift, bool squared) {
    constexpr int kLanes = 8;
    double part[kLanes] = {};
    int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes) {
        for (int l = 0; l < kLanes; l++) {
            double v = x(j + l) - shift;
            part[l] += squared ? v * v : v;
        }
    }
    for (; j < n; j++) {
        double v = x(j) - shift;
        part[0] += squared ? v * v : v;
    }
    double total = 0;
    for (double p : part) {
        total += p;
    }
    return total;
}

// Rows up to this long are first summed (x = src + residual) into a buffer on the stack;
// longer ones recompute x in each of the three passes (sum, squares, output).
constexpr int64_t kStackRow = 4096;

// One row from x(j), j in [0, C), into d (and u = sum_dst's row, or NULL).
template <class T, class X>
void norm_row(const NormArgs &a, const X &x, T *d, T *u) {
    const double mean =
            a.rms ? 0.0 : sum_of(a.c, x, 0.0, false) / static_cast<double>(a.c);
    const double squares = sum_of(a.c, x, mean, true);
    const float m = static_cast<float>(mean);
    const float inv =
            static_cast<float>(1.0 / std::sqrt(squares / static_cast<double>(a.c) + a.eps));
    for (int64_t j = 0; j < a.c; j++) {
        const float v = x(j);
        if (u) {
            u[j] = from_float<T>(v);
        }
        const float y = (v - m) * inv;
        d[j] = from_float<T>(y * (a.gamma ? a.gamma[j] : 1.f) + (a.beta ? a.beta[j] : 0.f));
    }
}

// Rows [r0, r1) of the norm. Every element of a row is read before any of it is written,
// so dst and sum_dst may alias src or residual (row for row). No scratch memory: helper
// threads run this too.
template <class T>
void norm_rows(const NormArgs &a, int64_t r0, int64_t r1) {
    alignas(64) float row[kStackRow];
    for (int64_t r = r0; r < r1; r++) {
        const T *s = static_cast<const T *>(a.src) + r * a.src_ld;
        const T *q = a.residual ? static_cast<const T *>(a.residual) + r * a.residual_ld
                                : nullptr;
        T *d = static_cast<T *>(a.dst) + r * a.dst_ld;
        T *u = a.sum_dst ? static_cast<T *>(a.sum_dst) + r * a.sum_ld : nullptr;
        if (a.c <= kStackRow) {
            for (int64_t j = 0; j < a.c; j++) {
                row[j] = q ? to_float(s[j]) + to_float(q[j]) : to_float(s[j]);
            }
            norm_row(a, [&](int64_t j) { return row[j]; }, d, u);
        } else {
            auto x = [&](int64_t j) {
                return q ? to_float(s[j]) + to_float(q[j]) : to_float(s[j]);
            };
            norm_row(a, x, d, u);
        }
    }
}

void norm(NormArgs a) {
    check_norm(a);
    if (a.rows == 0 || a.c == 0) {
        return;
    }
    if (a.rows == 1) {
        a.src_ld = a.dst_ld = a.residual_ld = a.sum_ld = a.c;
    }
    with_dtype(a.dtype, [&](auto tag) {
        using T = decltype(tag);
        if (a.rows * a.c < kLoopElements) {
            norm_rows<T>(a, 0, a.rows);
            return;
        }
        // items of about kLoopElements elements: enough to share, few enough claims
        const int64_t rows = std::max<int64_t>(1, kLoopElements / a.c);
        auto item = [&](int64_t i, int) {
            norm_rows<T>(a, i * rows, std::min(a.rows, (i + 1) * rows));
        };
        share((a.rows + rows - 1) / rows, item);
    });
}

}  // namespace

}  // namespace gatun

extern "C" {

gatun_status gatun_layer_norm(int32_t dtype, int64_t rows, int64_t c, const void *src,
                              int64_t src_ld, const void *residual, int64_t residual_ld,
                              const float *gamma, const float *beta, float eps, void *dst,
                              int64_t dst_ld, void *sum_dst, int64_t sum_ld) {
    return gatun::guarded("gatun_layer_norm", [&] {
        gatun::norm({false, dtype, rows, c, src, src_ld, residual, residual_ld, gamma,
                     beta, eps, dst, dst_ld, sum_dst, sum_ld});
    });
}

gatun_status gatun_rms_norm(int32_t dtype, int64_t rows, int64_t c, const void *src,
                            int64_t src_ld, const void *residual, int64_t residual_ld,
                            const float *gamma, float eps, void *dst, int64_t dst_ld,
                            void *sum_dst, int64_t sum_ld) {
    return gatun::guarded("gatun_rms_norm", [&] {
        gatun::norm({true, dtype, rows, c, src, src_ld, residual, residual_ld, gamma,
                     nullptr, eps, dst, dst_ld, sum_dst, sum_ld});
    });
}

}
