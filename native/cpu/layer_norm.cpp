// gatun_layer_norm and gatun_rms_norm over oneDNN's layer normalization primitive (RMSNorm
// through its rms_norm flag), with the residual add fused into a loop in front of it:
//
//   dense rows (ld = C), no residual, no sum_dst, dtype native to oneDNN: one primitive.
//   otherwise, per block of rows:
//     1. x = src + residual, in dense fp32 scratch (the unrounded sum is what is normalised);
//     2. sum_dst = x, rounded to dtype;
//     3. dst = norm(x): the primitive reads f32 and writes dst's dtype straight into dense
//        dst rows; into f32 scratch, then copied, where dst rows are strided (ld > C) or
//        oneDNN lacks the dtype (F16 without AVX512-FP16).
// Fewer than kLoopElements elements (a few tokens: one sentence, one decoding step) skip
// oneDNN: the norm runs as plain loops on the calling thread, statistics in double. A
// oneDNN execution costs a few microseconds and may have to wake the other OpenMP threads
// (about 70 us each from sleep on the 2-core VM measured), more than such a norm.
//
// oneDNN 3.13's layer norm kernel (jit:uni) ignores row strides (it reads and writes rows
// as if ld = C), hence dense memory only. It takes the mean first and the variance from
// centred values, E[(x - mean)^2], in fp32. Blocks bound the scratch to 1 MiB per thread; a
// block size and the last block's size are two cached primitives.
#include <algorithm>
#include <cmath>

#include "primitive_cache.hpp"

namespace gatun {

namespace {

constexpr int64_t kScratchFloats = 1 << 18;

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

std::shared_ptr<const CachedPrimitive> norm_primitive(const NormArgs &a, int64_t rows,
                                                      int32_t src_dtype, int64_t src_ld,
                                                      int32_t dst_dtype, int64_t dst_ld) {
    uint32_t eps_bits;
    std::memcpy(&eps_bits, &a.eps, 4);
    CacheKey key(PrimitiveKind::kLayerNorm);
    key.add_all(a.rms, rows, a.c, src_dtype, src_ld, dst_dtype, dst_ld, a.gamma != nullptr,
                a.beta != nullptr, eps_bits);
    return cached_primitive(key, [&] {
        auto flags = dnnl::normalization_flags::none;
        if (a.gamma != nullptr) {
            flags |= dnnl::normalization_flags::use_scale;
        }
        if (a.beta != nullptr) {
            flags |= dnnl::normalization_flags::use_shift;
        }
        if (a.rms) {
            flags |= dnnl::normalization_flags::rms_norm;
        }
        dnnl::memory::desc src({rows, a.c}, to_dnnl(src_dtype), {src_ld, 1});
        dnnl::memory::desc dst({rows, a.c}, to_dnnl(dst_dtype), {dst_ld, 1});
        dnnl::layer_normalization_forward::primitive_desc pd(
                cpu_engine(), dnnl::prop_kind::forward_inference, src, dst, a.eps, flags,
                scratchpad_attr());
        return make_cached<dnnl::layer_normalization_forward>(
                pd, {DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_SCALE, DNNL_ARG_SHIFT});
    });
}

void run_norm(const CachedPrimitive &p, const NormArgs &a, const void *src, void *dst) {
    execute(p, {{DNNL_ARG_SRC, src},
                {DNNL_ARG_DST, dst},
                {DNNL_ARG_SCALE, a.gamma},
                {DNNL_ARG_SHIFT, a.beta}});
}

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

constexpr int64_t kLoopElements = kParallelThreshold;

// The sum over x[0, n) of x - shift, or of its square, in double: kLanes partial sums side by
// side (always in the same order, so the result is reproducible), which the compiler turns
// into vector adds; one running sum is a chain of dependent adds, 4 cycles per element.
double sum_of(int64_t n, const float *x, double shift, bool squared) {
    constexpr int kLanes = 8;
    double part[kLanes] = {};
    int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes) {
        for (int l = 0; l < kLanes; l++) {
            double v = x[j + l] - shift;
            part[l] += squared ? v * v : v;
        }
    }
    for (; j < n; j++) {
        double v = x[j] - shift;
        part[0] += squared ? v * v : v;
    }
    double total = 0;
    for (double p : part) {
        total += p;
    }
    return total;
}

// The whole norm as loops (see the top). Each row is read into f32 scratch before anything
// is written, so dst and sum_dst may alias src or residual.
void norm_by_loops(const NormArgs &a) {
    float *x = thread_scratch<float>(kScratchA, static_cast<size_t>(a.c));
    with_dtype(a.dtype, [&](auto tag) {
        using T = decltype(tag);
        const T *src = static_cast<const T *>(a.src);
        const T *res = static_cast<const T *>(a.residual);
        T *dst = static_cast<T *>(a.dst);
        T *sum = static_cast<T *>(a.sum_dst);
        for (int64_t r = 0; r < a.rows; r++) {
            for (int64_t j = 0; j < a.c; j++) {
                float v = to_float(src[r * a.src_ld + j]);
                x[j] = res ? v + to_float(res[r * a.residual_ld + j]) : v;
            }
            if (sum) {
                for (int64_t j = 0; j < a.c; j++) {
                    sum[r * a.sum_ld + j] = from_float<T>(x[j]);
                }
            }
            const double mean =
                    a.rms ? 0.0 : sum_of(a.c, x, 0.0, false) / static_cast<double>(a.c);
            const double squares = sum_of(a.c, x, mean, true);
            const float m = static_cast<float>(mean);
            const float inv = static_cast<float>(
                    1.0 / std::sqrt(squares / static_cast<double>(a.c) + a.eps));
            for (int64_t j = 0; j < a.c; j++) {
                float y = (x[j] - m) * inv;
                y = y * (a.gamma ? a.gamma[j] : 1.f) + (a.beta ? a.beta[j] : 0.f);
                dst[r * a.dst_ld + j] = from_float<T>(y);
            }
        }
    });
}

void norm(NormArgs a) {
    check_norm(a);
    if (a.rows == 0 || a.c == 0) {
        return;
    }
    if (a.rows == 1) {
        a.src_ld = a.dst_ld = a.residual_ld = a.sum_ld = a.c;
    }
    if (a.rows * a.c < kLoopElements) {
        norm_by_loops(a);
        return;
    }
    bool native = compute_dtype(a.dtype) == a.dtype;
    bool dense = a.src_ld == a.c && a.dst_ld == a.c;
    if (native && dense && a.residual == nullptr && a.sum_dst == nullptr) {
        auto p = norm_primitive(a, a.rows, a.dtype, a.src_ld, a.dtype, a.dst_ld);
        run_norm(*p, a, a.src, a.dst);
        return;
    }

    int64_t block = std::max<int64_t>(1, std::min(a.rows, kScratchFloats / a.c));
    float *x = thread_scratch<float>(kScratchA, static_cast<size_t>(block * a.c));
    bool direct = native && a.dst_ld == a.c;  // step 3 writes dst itself
    float *y = direct ? nullptr : thread_scratch<float>(kScratchB, block * a.c);
    for (int64_t r0 = 0; r0 < a.rows; r0 += block) {
        int64_t rows = std::min(block, a.rows - r0);
        with_dtype(a.dtype, [&](auto tag) {
            using T = decltype(tag);
            const T *src = static_cast<const T *>(a.src) + r0 * a.src_ld;
            const T *res = a.residual ? static_cast<const T *>(a.residual) + r0 * a.residual_ld
                                      : nullptr;
            T *sum = a.sum_dst ? static_cast<T *>(a.sum_dst) + r0 * a.sum_ld : nullptr;
            parallel_for(rows, rows * a.c >= kParallelThreshold, [&](int64_t r) {
                // 1. x = src + residual;  2. sum_dst = x
                float *xr = x + r * a.c;
                for (int64_t j = 0; j < a.c; j++) {
                    float v = to_float(src[r * a.src_ld + j]);
                    xr[j] = res ? v + to_float(res[r * a.residual_ld + j]) : v;
                }
                if (sum) {
                    for (int64_t j = 0; j < a.c; j++) {
                        sum[r * a.sum_ld + j] = from_float<T>(xr[j]);
                    }
                }
            });
        });

        // 3. dst = norm(x)
        void *dst = at(a.dst, r0 * a.dst_ld, a.dtype);
        if (direct) {
            auto p = norm_primitive(a, rows, GATUN_F32, a.c, a.dtype, a.c);
            run_norm(*p, a, x, dst);
        } else {
            auto p = norm_primitive(a, rows, GATUN_F32, a.c, GATUN_F32, a.c);
            run_norm(*p, a, x, y);
            const int64_t dims[2] = {rows, a.c};
            const int64_t dense[2] = {a.c, 1};
            const int64_t dst_strides[2] = {a.dst_ld, 1};
            copy_strided(2, dims, GATUN_F32, y, dense, a.dtype, dst, dst_strides);
        }
    }
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
