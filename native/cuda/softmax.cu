// softmax: dst = softmax(scale src + mask) over each row, as exp(x - max) / sum.
//
// softmax_kernel: one warp per row, two passes over it. The first keeps a running
// (max, sum) per lane, rescaling the sum when the max grows, and merges the 32 lanes; the
// second writes exp(x - max) / sum. 16-byte vectors where the rows allow.
// softmax_reference_kernel: one thread per row, three passes (max, sum, write).
// A row that is -inf everywhere (fully masked) is written as zeros by both.
#include <cmath>
#include <algorithm>
#include <string>

#include "common.cuh"

namespace gatun_cuda {
namespace {

constexpr int kWarpsPerBlock = 8;

struct SoftmaxArgs {
    int64_t rows;
    int64_t cols;
    const void *src;
    int64_t src_ld;
    float scale;
    const float *mask;
    int64_t mask_ld;
    void *dst;
    int64_t dst_ld;
    bool vec;  // rows 16-byte aligned and cols a multiple of 8
};

// Adds x to a running (max, sum) of exponentials.
__device__ __forceinline__ void online_add(float &m, float &l, float x) {
    if (x == -INFINITY) return;
    if (x > m) {
        l = l * expf(m - x) + 1.0f;  // m = -inf gives l * 0 + 1
        m = x;
    } else {
        l += expf(x - m);
    }
}

template <typename T> __global__ void softmax_kernel(SoftmaxArgs p) {
    const int lane = threadIdx.x & 31;
    const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
    if (row >= p.rows) return;
    const T *src = static_cast<const T *>(p.src) + row * p.src_ld;
    const float *mask = p.mask ? p.mask + row * p.mask_ld : nullptr;
    T *dst = static_cast<T *>(p.dst) + row * p.dst_ld;

    // 1. running max and sum per lane, then across the warp
    float m = -INFINITY;
    float l = 0.0f;
    if (p.vec) {
        for (int64_t c = lane * 8; c < p.cols; c += 32 * 8) {
            float x[8];
            load8(src + c, x);
            float mk[8];
            if (mask) load8(mask + c, mk);
#pragma unroll
            for (int e = 0; e < 8; ++e) online_add(m, l, p.scale * x[e] + (mask ? mk[e] : 0.0f));
        }
    } else {
        for (int64_t c = lane; c < p.cols; c += 32)
            online_add(m, l, p.scale * to_float(src[c]) + (mask ? mask[c] : 0.0f));
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        const float m2 = __shfl_xor_sync(0xffffffffu, m, o);
        const float l2 = __shfl_xor_sync(0xffffffffu, l, o);
        const float big = fmaxf(m, m2);
        if (big != -INFINITY) l = l * expf(m - big) + l2 * expf(m2 - big);
        m = big;
    }

    // 2. dst = exp(x - max) / sum; a fully masked row (max = -inf) gives zeros
    const bool empty = m == -INFINITY;
    const float inv = empty ? 0.0f : 1.0f / l;
    if (p.vec) {
        for (int64_t c = lane * 8; c < p.cols; c += 32 * 8) {
            float x[8];
            load8(src + c, x);
            float mk[8];
            if (mask) load8(mask + c, mk);
#pragma unroll
            for (int e = 0; e < 8; ++e) {
                const float v = p.scale * x[e] + (mask ? mk[e] : 0.0f);
                x[e] = empty ? 0.0f : expf(v - m) * inv;
            }
            store8(dst + c, x);
        }
    } else {
        for (int64_t c = lane; c < p.cols; c += 32) {
            const float v = p.scale * to_float(src[c]) + (mask ? mask[c] : 0.0f);
            dst[c] = from_float<T>(empty ? 0.0f : expf(v - m) * inv);
        }
    }
}

template <typename T> __global__ void softmax_reference_kernel(SoftmaxArgs p) {
    const int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (row >= p.rows) return;
    const T *src = static_cast<const T *>(p.src) + row * p.src_ld;
    const float *mask = p.mask ? p.mask + row * p.mask_ld : nullptr;
    T *dst = static_cast<T *>(p.dst) + row * p.dst_ld;
    auto x_at = [&](int64_t c) {
        return p.scale * to_float(src[c]) + (mask ? mask[c] : 0.0f);
    };
    float big = -INFINITY;
    for (int64_t c = 0; c < p.cols; ++c) big = fmaxf(big, x_at(c));
    if (big == -INFINITY) {
        for (int64_t c = 0; c < p.cols; ++c) dst[c] = from_float<T>(0.0f);
        return;
    }
    float sum = 0.0f;
    for (int64_t c = 0; c < p.cols; ++c) sum += expf(x_at(c) - big);
    for (int64_t c = 0; c < p.cols; ++c) dst[c] = from_float<T>(expf(x_at(c) - big) / sum);
}

gatun_cuda_status softmax(bool reference, int32_t dtype, int64_t rows, int64_t cols,
                          const void *src, int64_t src_ld, float scale, const float *mask,
                          int64_t mask_ld, void *dst, int64_t dst_ld, void *stream) {
    if (!is_float_dtype(dtype))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    std::string("dtype must be F32, F16 or BF16, got ") + dtype_name(dtype));
    if (rows < 0 || cols < 1 || src_ld < cols || dst_ld < cols || (mask && mask_ld != 0 &&
                                                                  mask_ld < cols))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "need rows >= 0, cols >= 1, src_ld and dst_ld >= cols, mask_ld 0 or >= "
                    "cols; got rows=" + std::to_string(rows) + ", cols=" +
                        std::to_string(cols) + ", src_ld=" + std::to_string(src_ld) +
                        ", dst_ld=" + std::to_string(dst_ld) + ", mask_ld=" +
                        std::to_string(mask_ld));
    if (rows == 0) return GATUN_CUDA_OK;
    if (!src || !dst) return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "src and dst must not be NULL");

    SoftmaxArgs p{};
    p.rows = rows;
    p.cols = cols;
    p.src = src;
    p.src_ld = src_ld;
    p.scale = scale;
    p.mask = mask;
    p.mask_ld = mask_ld;
    p.dst = dst;
    p.dst_ld = dst_ld;
    const int elem = dtype_size(dtype);
    p.vec = cols % 8 == 0 && aligned16(src) && aligned16(dst) && (src_ld * elem) % 16 == 0 &&
            (dst_ld * elem) % 16 == 0 && (!mask || (aligned16(mask) && mask_ld % 4 == 0));
    cudaStream_t s = as_stream(stream);

    if (reference) {
        const int64_t blocks = ceil_div(rows, 128);
        if (blocks > INT32_MAX) return fail(GATUN_CUDA_ERR_UNSUPPORTED, "too many rows");
        dispatch_float(dtype, [&](auto tag) {
            using T = typename decltype(tag)::type;
            softmax_reference_kernel<T><<<static_cast<unsigned>(blocks), 128, 0, s>>>(p);
        });
        GATUN_CUDA_CHECK_LAUNCH("softmax_reference_kernel");
        return GATUN_CUDA_OK;
    }
    const int64_t blocks = ceil_div(rows, kWarpsPerBlock);
    if (blocks > INT32_MAX) return fail(GATUN_CUDA_ERR_UNSUPPORTED, "too many rows");
    dispatch_float(dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        softmax_kernel<T><<<static_cast<unsigned>(blocks), kWarpsPerBlock * 32, 0, s>>>(p);
    });
    GATUN_CUDA_CHECK_LAUNCH("softmax_kernel");
    return GATUN_CUDA_OK;
}

}  // namespace
}  // namespace gatun_cuda

using namespace gatun_cuda;

extern "C" {

gatun_cuda_status gatun_cuda_softmax(int32_t dtype, int64_t rows, int64_t cols,
                                     const void *src, int64_t src_ld, float scale,
                                     const float *mask, int64_t mask_ld, void *dst,
                                     int64_t dst_ld, void *stream) {
    begin("gatun_cuda_softmax");
    return softmax(false, dtype, rows, cols, src, src_ld, scale, mask, mask_ld, dst, dst_ld,
                   stream);
}

gatun_cuda_status gatun_cuda_softmax_reference(int32_t dtype, int64_t rows, int64_t cols,
                                               const void *src, int64_t src_ld, float scale,
                                               const float *mask, int64_t mask_ld, void *dst,
                                               int64_t dst_ld, void *stream) {
    begin("gatun_cuda_softmax_reference");
    return softmax(true, dtype, rows, cols, src, src_ld, scale, mask, mask_ld, dst, dst_ld,
                   stream);
}

}  // extern "C"
