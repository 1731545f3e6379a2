// Matmul internals shared with attention: strided operands and their cached primitives.
#pragma once

#include <memory>

#include "primitive_cache.hpp"

namespace gatun {

// A [batch, rows, cols] operand with strides in elements. batch 1 serves every batch of the
// other operands (oneDNN's broadcast); a stride 0 batch is passed as batch 1.
struct Matrix {
    int64_t batch, rows, cols;
    int64_t batch_stride, row_stride, col_stride;
};

// A size known only at execution (oneDNN's runtime dimension). Attention builds its decode
// matmuls with Tk as one, so that one primitive serves a KV cache of every length; strides
// that depend on it are kRuntimeDim too.
constexpr int64_t kRuntimeDim = DNNL_RUNTIME_DIM_VAL;

// A dense row-major [batch, rows, cols] operand.
inline Matrix dense_matrix(int64_t batch, int64_t rows, int64_t cols) {
    return {batch, rows, cols, rows * cols, cols, 1};
}

// dst = act(src x wei + bias) + residual, as one oneDNN matmul with post-ops.
struct MatmulSpec {
    int32_t src_dtype, wei_dtype, dst_dtype;
    Matrix src, wei, dst;
    bool bias;           // [1, 1, cols of dst] in dst_dtype
    int32_t activation;  // gatun_activation
    bool residual;       // dense [dst.batch or 1, dst.rows, dst.cols] in dst_dtype
    int64_t residual_batch;
    bool packed = false;  // wei in packed_weights_md's layout (its strides unused)
};

// The layout gatun_pack_weights writes a [K, N] weight in: the one oneDNN's matmul picks for
// 128 rows, which its kernels also read at any other row count (1, 15 and 300 measured).
dnnl::memory::desc packed_weights_md(int32_t dtype, int64_t k, int64_t n);

// The cached primitive for spec, whose dimensions may include kRuntimeDim (then without
// bias or residual).
std::shared_ptr<const CachedPrimitive> matmul_primitive(const MatmulSpec &spec);

// Runs a primitive from matmul_primitive; spec has the concrete sizes; bias and residual
// may be NULL when unused.
void run_matmul(const CachedPrimitive &p, const MatmulSpec &spec, const void *src,
                const void *wei, const void *bias, const void *residual, void *dst);

}  // namespace gatun
