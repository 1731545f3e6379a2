// A matmul kernel for a few rows of a against packed weights (see few_rows.cpp).
#pragma once

#include "common.hpp"

namespace gatun {

// The most rows of a the few-rows kernel takes; beyond it oneDNN's kernels (measured in
// few_rows.cpp's comment).
constexpr int64_t kFewRows = 256;

// Whether few_rows_matmul computes this gatun_matmul_packed call: f32 on an AVX-512 CPU,
// at most kFewRows rows, inner strides 1 and the weight packed in the layout it reads.
// Strides are gatun_matmul_packed's ([row, column]); r_strides is NULL without a residual.
bool few_rows_applies(int32_t dtype, int64_t m, int64_t k, int64_t n,
                      const int64_t *a_strides, const int64_t *d_strides,
                      const int64_t *r_strides);

// dst = act(a x packed + bias) + residual for an m x k a (row stride lda), a k x n weight
// from gatun_pack_weights, bias [n] or NULL, residual with row stride rs or NULL.
void few_rows_matmul(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                     const float *packed, const float *bias, int32_t activation,
                     const float *residual, int64_t rs, float *dst, int64_t ldd);

}  // namespace gatun
