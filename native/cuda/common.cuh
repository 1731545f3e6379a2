// Shared plumbing of the CUDA backend: error reporting with file and line, dtype dispatch,
// fp32 conversions and 16-byte vector loads and stores.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "gatun_cuda.h"

namespace gatun_cuda {

// --- errors ------------------------------------------------------------------------------

// Starts an entry point: clears this thread's last error and names the op for every
// message recorded until the next entry point.
void begin(const char *op);

// Records "op: msg" as this thread's last error and returns status.
gatun_cuda_status fail(gatun_cuda_status status, const std::string &msg);

// Records a failed CUDA call (its text, file and line, and the CUDA error) and returns
// GATUN_CUDA_ERR_OUT_OF_MEMORY for allocation failures, GATUN_CUDA_ERR_CUDA otherwise.
gatun_cuda_status cuda_fail(cudaError_t err, const char *call, const char *file, int line);

// Evaluates a CUDA runtime call; on failure records where and returns from the caller.
#define GATUN_CUDA_CHECK(call)                                                        \
    do {                                                                              \
        cudaError_t gatun_err_ = (call);                                              \
        if (gatun_err_ != cudaSuccess)                                                \
            return ::gatun_cuda::cuda_fail(gatun_err_, #call, __FILE__, __LINE__);    \
    } while (0)

// Checks the launch just queued (bad configuration, too much shared memory, ...).
#define GATUN_CUDA_CHECK_LAUNCH(kernel_name)                                          \
    do {                                                                              \
        cudaError_t gatun_err_ = cudaGetLastError();                                  \
        if (gatun_err_ != cudaSuccess)                                                \
            return ::gatun_cuda::cuda_fail(gatun_err_, "launch of " kernel_name,      \
                                           __FILE__, __LINE__);                       \
    } while (0)

// Returns the status from the caller unless it is GATUN_CUDA_OK.
#define GATUN_CUDA_TRY(expr)                                                          \
    do {                                                                              \
        gatun_cuda_status gatun_st_ = (expr);                                         \
        if (gatun_st_ != GATUN_CUDA_OK) return gatun_st_;                             \
    } while (0)

// "[2, 8, 128, 64]" for messages.
std::string shape_str(const int64_t *values, int count);

// Multiprocessors of the current device, cached per device.
gatun_cuda_status sm_count(int *count);

// Raises a kernel's dynamic shared memory limit once per device and kernel; needed for
// more than 48 KB.
gatun_cuda_status allow_shared_memory(const void *kernel, int bytes);

inline cudaStream_t as_stream(void *stream) { return static_cast<cudaStream_t>(stream); }

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// --- dtypes ------------------------------------------------------------------------------

using bf16 = __nv_bfloat16;
using f16 = __half;

inline int dtype_size(int32_t dtype) {
    switch (dtype) {
    case GATUN_F32: return 4;
    case GATUN_F16: return 2;
    case GATUN_BF16: return 2;
    case GATUN_I32: return 4;
    default: return 0;
    }
}

// "BF16", ... or "unknown dtype 7", for messages.
std::string dtype_name(int32_t dtype);

inline bool is_float_dtype(int32_t dtype) {
    return dtype == GATUN_F32 || dtype == GATUN_F16 || dtype == GATUN_BF16;
}

template <typename T> struct Tag { using type = T; };

// Calls fn(Tag<T>{}) with T the C++ type of a floating dtype; the caller has checked it.
template <typename Fn> auto dispatch_float(int32_t dtype, Fn &&fn) {
    switch (dtype) {
    case GATUN_F16: return fn(Tag<f16>{});
    case GATUN_BF16: return fn(Tag<bf16>{});
    default: return fn(Tag<float>{});
    }
}

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(f16 x) { return __half2float(x); }
__device__ __forceinline__ float to_float(bf16 x) { return __bfloat162float(x); }

template <typename T> __device__ __forceinline__ T from_float(float x);
template <> __device__ __forceinline__ float from_float<float>(float x) { return x; }
template <> __device__ __forceinline__ f16 from_float<f16>(float x) {
    return __float2half_rn(x);
}
template <> __device__ __forceinline__ bf16 from_float<bf16>(float x) {
    return __float2bfloat16_rn(x);
}

// x rounded to T and back: what storing x in T keeps.
template <typename T> __device__ __forceinline__ float round_to(float x) {
    return to_float(from_float<T>(x));
}

// --- activations -------------------------------------------------------------------------

__device__ __forceinline__ float activate(float x, int32_t act) {
    switch (act) {
    case GATUN_ACT_GELU_ERF: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case GATUN_ACT_GELU_TANH: {
        const float inner = 0.79788456080286536f * (x + 0.044715f * x * x * x);
        return 0.5f * x * (1.0f + tanhf(inner));
    }
    case GATUN_ACT_SILU: return x / (1.0f + expf(-x));
    default: return x;
    }
}

inline bool is_activation(int32_t act) {
    return act >= GATUN_ACT_NONE && act <= GATUN_ACT_SILU;
}

// --- 8-element vectors: 16-byte transactions -----------------------------------------------

// Loads p[0..8) as fp32; p must be 16-byte aligned.
__device__ __forceinline__ void load8(const float *p, float (&f)[8]) {
    const float4 lo = *reinterpret_cast<const float4 *>(p);
    const float4 hi = *reinterpret_cast<const float4 *>(p + 4);
    f[0] = lo.x; f[1] = lo.y; f[2] = lo.z; f[3] = lo.w;
    f[4] = hi.x; f[5] = hi.y; f[6] = hi.z; f[7] = hi.w;
}

template <typename T> __device__ __forceinline__ void load8(const T *p, float (&f)[8]) {
    const uint4 raw = *reinterpret_cast<const uint4 *>(p);
    const T *e = reinterpret_cast<const T *>(&raw);
#pragma unroll
    for (int i = 0; i < 8; ++i) f[i] = to_float(e[i]);
}

// Stores f as p[0..8); p must be 16-byte aligned.
__device__ __forceinline__ void store8(float *p, const float (&f)[8]) {
    *reinterpret_cast<float4 *>(p) = make_float4(f[0], f[1], f[2], f[3]);
    *reinterpret_cast<float4 *>(p + 4) = make_float4(f[4], f[5], f[6], f[7]);
}

template <typename T> __device__ __forceinline__ void store8(T *p, const float (&f)[8]) {
    uint4 raw;
    T *e = reinterpret_cast<T *>(&raw);
#pragma unroll
    for (int i = 0; i < 8; ++i) e[i] = from_float<T>(f[i]);
    *reinterpret_cast<uint4 *>(p) = raw;
}

inline bool aligned16(const void *p) {
    return (reinterpret_cast<uintptr_t>(p) & 15) == 0;
}

// --- warp and block reductions -----------------------------------------------------------

__device__ __forceinline__ float warp_sum(float x) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
    return x;
}

__device__ __forceinline__ float warp_max(float x) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, o));
    return x;
}

// Sum over the block; every thread gets the result. scratch holds 32 floats; blockDim.x
// is a multiple of 32. Ends with a barrier, so scratch may be reused at once.
__device__ __forceinline__ float block_sum(float x, float *scratch) {
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = blockDim.x >> 5;
    x = warp_sum(x);
    if (lane == 0) scratch[warp] = x;
    __syncthreads();
    float total = lane < warps ? scratch[lane] : 0.0f;
    total = warp_sum(total);
    __syncthreads();
    return total;
}

}  // namespace gatun_cuda
