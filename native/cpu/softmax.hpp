// Softmax internals shared with attention.
#pragma once

#include "common.hpp"

namespace gatun {

// dst[r] = softmax(x[r]) = exp(x - max) / sum for rows x f32 dense [rows, cols]; dst is
// [rows, cols] of dst_dtype with row stride dst_ld (cols for oneDNN's fast kernel) and may
// be x itself (f32, dst_ld = cols).
// Rows with fully_masked[r] != 0 (every entry -inf) are written as zeros. dst_dtype must be
// one oneDNN computes in (compute_dtype(dst_dtype) == dst_dtype).
void softmax_rows(int64_t rows, int64_t cols, const float *x, const uint8_t *fully_masked,
                  int32_t dst_dtype, void *dst, int64_t dst_ld);

}  // namespace gatun
