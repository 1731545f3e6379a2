// Elementwise ops on contiguous buffers of n elements:
//   binary:  dst[i] = a[i] op b[i % b_len]    (op: add, mul; b repeats: bias rows, scalars)
//   unary:   dst[i] = act(src[i])             (gelu erf/tanh, silu, identity)
//   convert: dst[i] = (dst dtype) src[i]      (F32, F16, BF16, round to nearest even)
// The fast kernels move 8 elements per thread per step through 16-byte vectors when the
// pointers are 16-byte aligned (and for binary, b_len is a multiple of 8), with a
// grid-stride loop; the reference kernels take one element per thread.
#include <algorithm>
#include <string>

#include "common.cuh"

namespace gatun_cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 1 << 20;

unsigned grid_for(int64_t items) {
    return static_cast<unsigned>(std::min<int64_t>(std::max<int64_t>(ceil_div(items, kThreads),
                                                                     1),
                                                   kMaxBlocks));
}

__device__ __forceinline__ int64_t global_thread() {
    return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t grid_threads() {
    return static_cast<int64_t>(gridDim.x) * blockDim.x;
}

__device__ __forceinline__ float apply(int32_t op, float x, float y) {
    return op == GATUN_BINARY_MUL ? x * y : x + y;
}

// --- binary ------------------------------------------------------------------------------

template <typename T>
__global__ void binary_kernel(int32_t op, int64_t n, const T *a, const T *b, int64_t b_len,
                              T *dst, bool vec) {
    if (vec) {
        for (int64_t c = global_thread(); c < n / 8; c += grid_threads()) {
            float x[8], y[8];
            load8(a + c * 8, x);
            load8(b + (c * 8) % b_len, y);
#pragma unroll
            for (int e = 0; e < 8; ++e) x[e] = apply(op, x[e], y[e]);
            store8(dst + c * 8, x);
        }
        return;
    }
    for (int64_t i = global_thread(); i < n; i += grid_threads())
        dst[i] = from_float<T>(apply(op, to_float(a[i]), to_float(b[i % b_len])));
}

template <typename T>
__global__ void binary_reference_kernel(int32_t op, int64_t n, const T *a, const T *b,
                                        int64_t b_len, T *dst) {
    const int64_t i = global_thread();
    if (i < n) dst[i] = from_float<T>(apply(op, to_float(a[i]), to_float(b[i % b_len])));
}

// --- unary -------------------------------------------------------------------------------

template <typename T>
__global__ void unary_kernel(int32_t act, int64_t n, const T *src, T *dst, bool vec) {
    int64_t done = 0;
    if (vec) {
        for (int64_t c = global_thread(); c < n / 8; c += grid_threads()) {
            float x[8];
            load8(src + c * 8, x);
#pragma unroll
            for (int e = 0; e < 8; ++e) x[e] = activate(x[e], act);
            store8(dst + c * 8, x);
        }
        done = n / 8 * 8;
    }
    for (int64_t i = done + global_thread(); i < n; i += grid_threads())
        dst[i] = from_float<T>(activate(to_float(src[i]), act));
}

template <typename T>
__global__ void unary_reference_kernel(int32_t act, int64_t n, const T *src, T *dst) {
    const int64_t i = global_thread();
    if (i < n) dst[i] = from_float<T>(activate(to_float(src[i]), act));
}

// --- convert -----------------------------------------------------------------------------

template <typename S, typename D>
__global__ void convert_kernel(int64_t n, const S *src, D *dst, bool vec) {
    int64_t done = 0;
    if (vec) {
        for (int64_t c = global_thread(); c < n / 8; c += grid_threads()) {
            float x[8];
            load8(src + c * 8, x);
            store8(dst + c * 8, x);
        }
        done = n / 8 * 8;
    }
    for (int64_t i = done + global_thread(); i < n; i += grid_threads())
        dst[i] = from_float<D>(to_float(src[i]));
}

template <typename S, typename D>
__global__ void convert_reference_kernel(int64_t n, const S *src, D *dst) {
    const int64_t i = global_thread();
    if (i < n) dst[i] = from_float<D>(to_float(src[i]));
}

// --- host side ---------------------------------------------------------------------------

gatun_cuda_status check_common(int32_t dtype, int64_t n, const char *what) {
    if (!is_float_dtype(dtype))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    std::string(what) + " must be F32, F16 or BF16, got " + dtype_name(dtype));
    if (n < 0)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "n must be >= 0, got " + std::to_string(n));
    return GATUN_CUDA_OK;
}

gatun_cuda_status reference_grid(int64_t n, unsigned *blocks) {
    const int64_t b = ceil_div(n, kThreads);
    if (b > INT32_MAX)
        return fail(GATUN_CUDA_ERR_UNSUPPORTED,
                    "the reference kernel handles n < 2^39, got n=" + std::to_string(n));
    *blocks = static_cast<unsigned>(b);
    return GATUN_CUDA_OK;
}

gatun_cuda_status binary(bool reference, int32_t op, int32_t dtype, int64_t n, const void *a,
                         const void *b, int64_t b_len, void *dst, void *stream) {
    GATUN_CUDA_TRY(check_common(dtype, n, "dtype"));
    if (op != GATUN_BINARY_ADD && op != GATUN_BINARY_MUL)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "unknown op " + std::to_string(op));
    if (b_len < 1 || n % b_len != 0)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "b_len must be >= 1 and divide n, got n=" + std::to_string(n) +
                        ", b_len=" + std::to_string(b_len));
    if (n == 0) return GATUN_CUDA_OK;
    if (!a || !b || !dst)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "a, b and dst must not be NULL");
    cudaStream_t s = as_stream(stream);
    const bool vec = aligned16(a) && aligned16(b) && aligned16(dst) && b_len % 8 == 0;
    unsigned blocks = 0;
    if (reference) GATUN_CUDA_TRY(reference_grid(n, &blocks));
    else blocks = grid_for(vec ? n / 8 : n);
    dispatch_float(dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T *ta = static_cast<const T *>(a);
        const T *tb = static_cast<const T *>(b);
        T *td = static_cast<T *>(dst);
        if (reference) binary_reference_kernel<T><<<blocks, kThreads, 0, s>>>(op, n, ta, tb,
                                                                              b_len, td);
        else binary_kernel<T><<<blocks, kThreads, 0, s>>>(op, n, ta, tb, b_len, td, vec);
    });
    GATUN_CUDA_CHECK_LAUNCH("binary_kernel");
    return GATUN_CUDA_OK;
}

gatun_cuda_status unary(bool reference, int32_t activation, int32_t dtype, int64_t n,
                        const void *src, void *dst, void *stream) {
    GATUN_CUDA_TRY(check_common(dtype, n, "dtype"));
    if (!is_activation(activation))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "unknown activation " + std::to_string(activation));
    if (n == 0) return GATUN_CUDA_OK;
    if (!src || !dst) return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "src and dst must not be NULL");
    cudaStream_t s = as_stream(stream);
    const bool vec = aligned16(src) && aligned16(dst);
    unsigned blocks = 0;
    if (reference) GATUN_CUDA_TRY(reference_grid(n, &blocks));
    else blocks = grid_for(vec ? n / 8 + 1 : n);
    dispatch_float(dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T *ts = static_cast<const T *>(src);
        T *td = static_cast<T *>(dst);
        if (reference)
            unary_reference_kernel<T><<<blocks, kThreads, 0, s>>>(activation, n, ts, td);
        else
            unary_kernel<T><<<blocks, kThreads, 0, s>>>(activation, n, ts, td, vec);
    });
    GATUN_CUDA_CHECK_LAUNCH("unary_kernel");
    return GATUN_CUDA_OK;
}

gatun_cuda_status convert(bool reference, int32_t src_dtype, int32_t dst_dtype, int64_t n,
                          const void *src, void *dst, void *stream) {
    GATUN_CUDA_TRY(check_common(src_dtype, n, "src_dtype"));
    GATUN_CUDA_TRY(check_common(dst_dtype, n, "dst_dtype"));
    if (n == 0) return GATUN_CUDA_OK;
    if (!src || !dst) return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "src and dst must not be NULL");
    cudaStream_t s = as_stream(stream);
    const bool vec = aligned16(src) && aligned16(dst);
    unsigned blocks = 0;
    if (reference) GATUN_CUDA_TRY(reference_grid(n, &blocks));
    else blocks = grid_for(vec ? n / 8 + 1 : n);
    dispatch_float(src_dtype, [&](auto stag) {
        using S = typename decltype(stag)::type;
        dispatch_float(dst_dtype, [&](auto dtag) {
            using D = typename decltype(dtag)::type;
            const S *ts = static_cast<const S *>(src);
            D *td = static_cast<D *>(dst);
            if (reference) convert_reference_kernel<S, D><<<blocks, kThreads, 0, s>>>(n, ts, td);
            else convert_kernel<S, D><<<blocks, kThreads, 0, s>>>(n, ts, td, vec);
        });
    });
    GATUN_CUDA_CHECK_LAUNCH("convert_kernel");
    return GATUN_CUDA_OK;
}

}  // namespace
}  // namespace gatun_cuda

using namespace gatun_cuda;

extern "C" {

gatun_cuda_status gatun_cuda_binary(int32_t op, int32_t dtype, int64_t n, const void *a,
                                    const void *b, int64_t b_len, void *dst, void *stream) {
    begin("gatun_cuda_binary");
    return binary(false, op, dtype, n, a, b, b_len, dst, stream);
}

gatun_cuda_status gatun_cuda_binary_reference(int32_t op, int32_t dtype, int64_t n,
                                              const void *a, const void *b, int64_t b_len,
                                              void *dst, void *stream) {
    begin("gatun_cuda_binary_reference");
    return binary(true, op, dtype, n, a, b, b_len, dst, stream);
}

gatun_cuda_status gatun_cuda_unary(int32_t activation, int32_t dtype, int64_t n,
                                   const void *src, void *dst, void *stream) {
    begin("gatun_cuda_unary");
    return unary(false, activation, dtype, n, src, dst, stream);
}

gatun_cuda_status gatun_cuda_unary_reference(int32_t activation, int32_t dtype, int64_t n,
                                             const void *src, void *dst, void *stream) {
    begin("gatun_cuda_unary_reference");
    return unary(true, activation, dtype, n, src, dst, stream);
}

gatun_cuda_status gatun_cuda_convert(int32_t src_dtype, int32_t dst_dtype, int64_t n,
                                     const void *src, void *dst, void *stream) {
    begin("gatun_cuda_convert");
    return convert(false, src_dtype, dst_dtype, n, src, dst, stream);
}

gatun_cuda_status gatun_cuda_convert_reference(int32_t src_dtype, int32_t dst_dtype,
                                               int64_t n, const void *src, void *dst,
                                               void *stream) {
    begin("gatun_cuda_convert_reference");
    return convert(true, src_dtype, dst_dtype, n, src, dst, stream);
}

}  // extern "C"
