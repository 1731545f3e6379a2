// gatun_softmax: dst = softmax(scale * src + mask) over rows, on oneDNN's softmax primitive
// (softmax_accurate: exp(x - max) / sum, in fp32). Per block of rows:
//   1. x = scale * src + mask into fp32 scratch, noting rows whose every entry is -inf;
//   2. the primitive normalises x straight into dense dst rows (f32 -> dtype); into x
//      itself, then copied, where dst rows are strided (dst_ld > cols: oneDNN 3.13 has only
//      its slow reference kernel for those) or oneDNN lacks the dtype (F16 without
//      AVX512-FP16);
//   3. the noted rows, which oneDNN fills with NaN (exp(-inf - -inf)), become zeros.
// Blocks bound the scratch to 1 MiB per thread.
#include "softmax.hpp"

#include <algorithm>

#include "primitive_cache.hpp"

namespace gatun {

namespace {

constexpr int64_t kScratchFloats = 1 << 18;

std::shared_ptr<const CachedPrimitive> softmax_primitive(int64_t rows, int64_t cols,
                                                         int32_t dst_dtype, int64_t dst_ld) {
    CacheKey key(PrimitiveKind::kSoftmax);
    key.add_all(rows, cols, dst_dtype, dst_ld);
    return cached_primitive(key, [&] {
        dnnl::memory::desc src({rows, cols}, dnnl::memory::data_type::f32, {cols, 1});
        dnnl::memory::desc dst({rows, cols}, to_dnnl(dst_dtype), {dst_ld, 1});
        dnnl::softmax_forward::primitive_desc pd(
                cpu_engine(), dnnl::prop_kind::forward_inference,
                dnnl::algorithm::softmax_accurate, src, dst, 1, scratchpad_attr());
        return make_cached<dnnl::softmax_forward>(pd, {DNNL_ARG_SRC, DNNL_ARG_DST});
    });
}

}  // namespace

void softmax_rows(int64_t rows, int64_t cols, const float *x, const uint8_t *fully_masked,
                  int32_t dst_dtype, void *dst, int64_t dst_ld) {
    auto p = softmax_primitive(rows, cols, dst_dtype, dst_ld);
    execute(*p, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, dst}});
    for (int64_t r = 0; r < rows; r++) {
        if (fully_masked[r]) {
            // zero bits are +0 in F32, F16 and BF16 alike
            std::memset(at(dst, r * dst_ld, dst_dtype), 0,
                        static_cast<size_t>(cols * dtype_size(dst_dtype)));
        }
    }
}

}  // namespace gatun

extern "C" {

gatun_status gatun_softmax(int32_t dtype, int64_t rows, int64_t cols, const void *src,
                           int64_t src_ld, float scale, const float *mask, int64_t mask_ld,
                           void *dst, int64_t dst_ld) {
    using namespace gatun;
    return guarded("gatun_softmax", [&] {
        check_float_dtype("dtype", dtype);
        check(rows >= 0 && cols >= 0, "rows and cols must be >= 0, got rows=", rows,
              " cols=", cols);
        if (rows == 0 || cols == 0) {
            return;
        }
        check_not_null(src, "src");
        check_not_null(dst, "dst");
        if (rows == 1) {
            src_ld = dst_ld = cols;  // a single row's stride is never used
        }
        check(src_ld >= cols, "src_ld must be >= cols=", cols, ", got ", src_ld);
        check(dst_ld >= cols, "dst_ld must be >= cols=", cols, ", got ", dst_ld);
        check(mask == nullptr || mask_ld >= 0, "mask_ld must be >= 0, got ", mask_ld);

        bool native = compute_dtype(dtype) == dtype;
        int64_t block = std::max<int64_t>(1, std::min(rows, kScratchFloats / cols));
        float *x = thread_scratch<float>(kScratchA, static_cast<size_t>(block * cols));
        uint8_t *masked = thread_scratch<uint8_t>(kScratchB, static_cast<size_t>(block));
        for (int64_t r0 = 0; r0 < rows; r0 += block) {
            int64_t n = std::min(block, rows - r0);

            // 1. x = scale * src + mask
            with_dtype(dtype, [&](auto tag) {
                using T = decltype(tag);
                const T *s = static_cast<const T *>(src) + r0 * src_ld;
                parallel_for(n, n * cols >= kParallelThreshold, [&](int64_t r) {
                    const float *m = mask ? mask + (r0 + r) * mask_ld : nullptr;
                    float *xr = x + r * cols;
                    int64_t neg_inf = 0;
                    for (int64_t j = 0; j < cols; j++) {
                        float v = scale * to_float(s[r * src_ld + j]) + (m ? m[j] : 0.f);
                        xr[j] = v;
                        neg_inf += v == kNegInf;
                    }
                    masked[r] = neg_inf == cols;
                });
            });

            // 2. and 3. dst = softmax(x), fully masked rows zero
            void *d = at(dst, r0 * dst_ld, dtype);
            if (native && dst_ld == cols) {
                softmax_rows(n, cols, x, masked, dtype, d, cols);
            } else {
                softmax_rows(n, cols, x, masked, GATUN_F32, x, cols);
                const int64_t dims[2] = {n, cols};
                const int64_t dense[2] = {cols, 1};
                const int64_t dst_strides[2] = {dst_ld, 1};
                copy_strided(2, dims, GATUN_F32, x, dense, dtype, d, dst_strides);
            }
        }
    });
}

}
