// Elementwise ops: gatun_binary and gatun_convert as plain OpenMP loops, gatun_unary over
// oneDNN's eltwise primitive (its JIT kernels vectorise erf, tanh and exp); plus the
// activate() and copy_strided() helpers the other ops share.
//
// Binary and convert stay plain loops: they are memory-bound one-liners, a loop rounds
// exactly as documented (round to nearest even), and oneDNN has no f16 <-> bf16 reorder on
// CPUs without AVX512-FP16.
//
// oneDNN's GELUs compute 1 + erf(x) and 1 + tanh(u), which cancel for negative x: their
// relative error passes 1e-4 below x = -2 and reaches 100% below -5. gatun_unary therefore
// runs GELU per chunk through f32 scratch and recomputes the elements below -2 with the
// exact forms of activate(). (GELU fused into gatun_matmul keeps oneDNN's: there the
// absolute error stays under 1e-6.)
#include <algorithm>
#include <cstring>

#include "primitive_cache.hpp"

namespace gatun {

// The forms that stay accurate in the negative tails: erfc instead of 1 + erf, and
// 1 + tanh(u) = 2 sigmoid(2u).
float activate(int32_t activation, float x) {
    switch (activation) {
        case GATUN_ACT_GELU_ERF: return 0.5f * x * std::erfc(-x * 0.70710678118654752f);
        case GATUN_ACT_GELU_TANH: {
            float u = 0.79788456080286536f * (x + 0.044715f * x * x * x);
            return x / (1.f + std::exp(-2.f * u));
        }
        case GATUN_ACT_SILU: return x / (1.f + std::exp(-x));
        default: return x;
    }
}

void copy_strided(int rank, const int64_t *dims, int32_t src_dtype, const void *src,
                  const int64_t *src_strides, int32_t dst_dtype, void *dst,
                  const int64_t *dst_strides) {
    // pad to rank 4 with leading size-1 dimensions
    int64_t d[4] = {1, 1, 1, 1}, ss[4] = {0, 0, 0, 0}, ds[4] = {0, 0, 0, 0};
    for (int i = 0; i < rank; i++) {
        d[4 - rank + i] = dims[i];
        ss[4 - rank + i] = src_strides[i];
        ds[4 - rank + i] = dst_strides[i];
    }
    int64_t rows = d[0] * d[1] * d[2];
    bool parallel = rows * d[3] >= kParallelThreshold;
    with_dtype(src_dtype, [&](auto src_tag) {
        with_dtype(dst_dtype, [&](auto dst_tag) {
            using S = decltype(src_tag);
            using D = decltype(dst_tag);
            const S *s = static_cast<const S *>(src);
            D *t = static_cast<D *>(dst);
            parallel_for(rows, parallel, [&](int64_t r) {
                int64_t i0 = r / (d[1] * d[2]), i1 = r / d[2] % d[1], i2 = r % d[2];
                const S *srow = s + i0 * ss[0] + i1 * ss[1] + i2 * ss[2];
                D *drow = t + i0 * ds[0] + i1 * ds[1] + i2 * ds[2];
                for (int64_t j = 0; j < d[3]; j++) {
                    drow[j * ds[3]] = from_float<D>(to_float(srow[j * ss[3]]));
                }
            });
        });
    });
}

namespace {

// Elements per block of the flat loops; one block is one unit of parallel work.
constexpr int64_t kBlock = 1 << 14;

// Below this, oneDNN's GELUs lose relative accuracy (see the file comment).
constexpr float kGeluTail = -2.f;

std::shared_ptr<const CachedPrimitive> eltwise_primitive(int32_t activation, int32_t dtype,
                                                         int64_t n) {
    CacheKey key(PrimitiveKind::kEltwise);
    key.add_all(activation, dtype, n);
    return cached_primitive(key, [&] {
        dnnl::algorithm algorithm = activation == GATUN_ACT_GELU_ERF
                                            ? dnnl::algorithm::eltwise_gelu_erf
                                    : activation == GATUN_ACT_GELU_TANH
                                            ? dnnl::algorithm::eltwise_gelu_tanh
                                            : dnnl::algorithm::eltwise_swish;
        // swish with alpha 1 is x sigmoid(x), i.e. SiLU
        float alpha = activation == GATUN_ACT_SILU ? 1.f : 0.f;
        dnnl::memory::desc md({n}, to_dnnl(dtype), dnnl::memory::format_tag::a);
        dnnl::eltwise_forward::primitive_desc pd(cpu_engine(),
                                                 dnnl::prop_kind::forward_inference,
                                                 algorithm, md, md, alpha, 0.f,
                                                 scratchpad_attr());
        return make_cached<dnnl::eltwise_forward>(pd, {DNNL_ARG_SRC, DNNL_ARG_DST});
    });
}

bool overlaps(const void *a, int64_t a_bytes, const void *b, int64_t b_bytes) {
    auto x = reinterpret_cast<uintptr_t>(a), y = reinterpret_cast<uintptr_t>(b);
    return x < y + b_bytes && y < x + a_bytes;
}

void convert(int32_t src_dtype, int32_t dst_dtype, int64_t n, const void *src, void *dst) {
    int64_t blocks = (n + kBlock - 1) / kBlock;
    with_dtype(src_dtype, [&](auto src_tag) {
        with_dtype(dst_dtype, [&](auto dst_tag) {
            using S = decltype(src_tag);
            using D = decltype(dst_tag);
            const S *s = static_cast<const S *>(src);
            D *d = static_cast<D *>(dst);
            parallel_for(blocks, n >= kParallelThreshold, [&](int64_t block) {
                int64_t end = std::min(n, (block + 1) * kBlock);
                for (int64_t i = block * kBlock; i < end; i++) {
                    d[i] = from_float<D>(to_float(s[i]));
                }
            });
        });
    });
}

}  // namespace

}  // namespace gatun

extern "C" {

gatun_status gatun_binary(int32_t op, int32_t dtype, int64_t n, const void *a, const void *b,
                          int64_t b_len, void *dst) {
    using namespace gatun;
    return guarded("gatun_binary", [&] {
        check(op == GATUN_BINARY_ADD || op == GATUN_BINARY_MUL,
              "op must be 0 (ADD) or 1 (MUL), got ", op);
        check_float_dtype("dtype", dtype);
        check(n >= 0, "n must be >= 0, got ", n);
        if (n == 0) {
            return;
        }
        check(b_len >= 1 && n % b_len == 0, "b_len must divide n, got n=", n, " b_len=",
              b_len);
        check_not_null(a, "a");
        check_not_null(b, "b");
        check_not_null(dst, "dst");

        int64_t blocks = (n + kBlock - 1) / kBlock;
        with_dtype(dtype, [&](auto tag) {
            using T = decltype(tag);
            const T *x = static_cast<const T *>(a);
            const T *y = static_cast<const T *>(b);
            T *z = static_cast<T *>(dst);
            bool add = op == GATUN_BINARY_ADD;
            parallel_for(blocks, n >= kParallelThreshold, [&](int64_t block) {
                int64_t end = std::min(n, (block + 1) * kBlock);
                int64_t j = block * kBlock % b_len;
                for (int64_t i = block * kBlock; i < end; i++) {
                    float u = to_float(x[i]), v = to_float(y[j]);
                    z[i] = from_float<T>(add ? u + v : u * v);
                    if (++j == b_len) {
                        j = 0;
                    }
                }
            });
        });
    });
}

gatun_status gatun_unary(int32_t activation, int32_t dtype, int64_t n, const void *src,
                         void *dst) {
    using namespace gatun;
    return guarded("gatun_unary", [&] {
        check(activation >= GATUN_ACT_NONE && activation <= GATUN_ACT_SILU,
              "activation must be 0 (NONE) to 3 (SILU), got ", activation);
        check_float_dtype("dtype", dtype);
        check(n >= 0, "n must be >= 0, got ", n);
        if (n == 0) {
            return;
        }
        check_not_null(src, "src");
        check_not_null(dst, "dst");

        if (activation == GATUN_ACT_NONE) {
            if (dst != src) {
                std::memmove(dst, src, static_cast<size_t>(n * dtype_size(dtype)));
            }
            return;
        }
        if (activation == GATUN_ACT_SILU && compute_dtype(dtype) == dtype) {
            auto p = eltwise_primitive(activation, dtype, n);
            execute(*p, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
            return;
        }
        // per chunk, on one thread each: x -> f32, y = act(x) by oneDNN, the GELU tail
        // recomputed exactly, y -> dst (one primitive for the chunk size, one for the tail)
        int64_t chunks = (n + kBlock - 1) / kBlock;
        parallel_for(chunks, chunks > 1, [&](int64_t chunk) {
            int64_t start = chunk * kBlock, len = std::min(kBlock, n - start);
            float *x = thread_scratch<float>(kScratchA, static_cast<size_t>(kBlock));
            float *y = thread_scratch<float>(kScratchB, static_cast<size_t>(kBlock));
            convert(dtype, GATUN_F32, len, at(src, start, dtype), x);
            auto p = eltwise_primitive(activation, GATUN_F32, len);
            execute(*p, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, y}});
            if (activation != GATUN_ACT_SILU) {
                for (int64_t i = 0; i < len; i++) {
                    if (x[i] < kGeluTail) {
                        y[i] = activate(activation, x[i]);
                    }
                }
            }
            convert(GATUN_F32, dtype, len, y, at(dst, start, dtype));
        });
    });
}

gatun_status gatun_convert(int32_t src_dtype, int32_t dst_dtype, int64_t n, const void *src,
                           void *dst) {
    using namespace gatun;
    return guarded("gatun_convert", [&] {
        check_float_dtype("src_dtype", src_dtype);
        check_float_dtype("dst_dtype", dst_dtype);
        check(n >= 0, "n must be >= 0, got ", n);
        if (n == 0) {
            return;
        }
        check_not_null(src, "src");
        check_not_null(dst, "dst");

        int64_t src_bytes = n * dtype_size(src_dtype), dst_bytes = n * dtype_size(dst_dtype);
        if (src_dtype == dst_dtype) {
            if (dst != src) {
                std::memmove(dst, src, static_cast<size_t>(src_bytes));
            }
        } else if (overlaps(src, src_bytes, dst, dst_bytes)) {
            // elements of different sizes in place: parallel blocks would overwrite input
            // another block has yet to read, so convert into a copy first
            Buffer copy(static_cast<size_t>(dst_bytes));
            convert(src_dtype, dst_dtype, n, src, copy.as<void>());
            std::memcpy(dst, copy.as<void>(), static_cast<size_t>(dst_bytes));
        } else {
            convert(src_dtype, dst_dtype, n, src, dst);
        }
    });
}

}
