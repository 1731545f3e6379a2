// rope: rotary position embedding of x [B, H, T, D] at positions [T].
//
// Pair i of a row (i in [0, D/2)) turns by angle pos * theta^(-2i/D):
//   interleaved: (x[2i], x[2i+1])        half-split: (x[i], x[i + D/2])
//   y0 = x0 cos - x1 sin,  y1 = x0 sin + x1 cos, in fp32 with full-range sincosf.
// rope_kernel: one thread per pair, consecutive threads on consecutive pairs.
// rope_reference_kernel: one thread per row (b, h, t), looping over its pairs.
// Each pair is read before it is written by the same thread, so dst may alias src.
#include <algorithm>
#include <cmath>
#include <string>

#include "common.cuh"

namespace gatun_cuda {
namespace {

struct RopeArgs {
    int64_t b, h, t;
    int d;
    const void *src;
    int64_t ss[4];
    const int32_t *positions;
    float theta;
    float log2_theta;
    int interleaved;
    void *dst;
    int64_t ds[4];
};

template <typename T> __global__ void rope_kernel(RopeArgs p) {
    const int half = p.d / 2;
    const int64_t total = p.b * p.h * p.t * half;
    for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
         idx < total; idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int i = static_cast<int>(idx % half);
        const int64_t r = idx / half;
        const int64_t step = r % p.t;
        const int64_t head = (r / p.t) % p.h;
        const int64_t batch = r / (p.t * p.h);
        const T *src = static_cast<const T *>(p.src) + batch * p.ss[0] + head * p.ss[1] +
                       step * p.ss[2];
        T *dst = static_cast<T *>(p.dst) + batch * p.ds[0] + head * p.ds[1] + step * p.ds[2];
        const int i0 = p.interleaved ? 2 * i : i;
        const int i1 = p.interleaved ? 2 * i + 1 : i + half;

        // theta^(-2i/D) as 2^(-(2i/D) log2 theta)
        const float inv_freq = exp2f(-(2.0f * i / p.d) * p.log2_theta);
        float sn, cs;
        sincosf(static_cast<float>(p.positions[step]) * inv_freq, &sn, &cs);
        const float x0 = to_float(src[i0]);
        const float x1 = to_float(src[i1]);
        dst[i0] = from_float<T>(x0 * cs - x1 * sn);
        dst[i1] = from_float<T>(x0 * sn + x1 * cs);
    }
}

template <typename T> __global__ void rope_reference_kernel(RopeArgs p) {
    const int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (r >= p.b * p.h * p.t) return;
    const int64_t step = r % p.t;
    const int64_t head = (r / p.t) % p.h;
    const int64_t batch = r / (p.t * p.h);
    const T *src = static_cast<const T *>(p.src) + batch * p.ss[0] + head * p.ss[1] +
                   step * p.ss[2];
    T *dst = static_cast<T *>(p.dst) + batch * p.ds[0] + head * p.ds[1] + step * p.ds[2];
    const int half = p.d / 2;
    for (int i = 0; i < half; ++i) {
        const float angle = static_cast<float>(p.positions[step]) *
                            powf(p.theta, -2.0f * static_cast<float>(i) / p.d);
        const int i0 = p.interleaved ? 2 * i : i;
        const int i1 = p.interleaved ? 2 * i + 1 : i + half;
        const float x0 = to_float(src[i0]);
        const float x1 = to_float(src[i1]);
        dst[i0] = from_float<T>(x0 * cosf(angle) - x1 * sinf(angle));
        dst[i1] = from_float<T>(x0 * sinf(angle) + x1 * cosf(angle));
    }
}

gatun_cuda_status rope(bool reference, int32_t dtype, int64_t b, int64_t h, int64_t t,
                       int64_t d, const void *src, const int64_t *src_strides,
                       const int32_t *positions, float theta, int32_t interleaved, void *dst,
                       const int64_t *dst_strides, void *stream) {
    if (!is_float_dtype(dtype))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    std::string("dtype must be F32, F16 or BF16, got ") + dtype_name(dtype));
    const int64_t dims[4] = {b, h, t, d};
    if (b < 0 || h < 0 || t < 0 || d < 2 || d % 2 != 0 || d > INT32_MAX)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "need B, H, T >= 0 and D even >= 2; got [B, H, T, D]=" +
                        shape_str(dims, 4));
    if (!(theta > 0.0f))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "theta must be > 0, got " + std::to_string(theta));
    if (!src_strides || !dst_strides)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "src_strides and dst_strides must not "
                                                     "be NULL");
    if (src_strides[3] != 1 || dst_strides[3] != 1)
        return fail(GATUN_CUDA_ERR_UNSUPPORTED,
                    "the D stride must be 1, got src_strides=" + shape_str(src_strides, 4) +
                        ", dst_strides=" + shape_str(dst_strides, 4));
    if (b * h * t == 0) return GATUN_CUDA_OK;
    if (!src || !dst || !positions)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "src, positions and dst must not be NULL");

    RopeArgs p{};
    p.b = b;
    p.h = h;
    p.t = t;
    p.d = static_cast<int>(d);
    p.src = src;
    p.positions = positions;
    p.theta = theta;
    p.log2_theta = std::log2(theta);
    p.interleaved = interleaved != 0;
    p.dst = dst;
    for (int i = 0; i < 4; ++i) {
        p.ss[i] = src_strides[i];
        p.ds[i] = dst_strides[i];
    }
    cudaStream_t s = as_stream(stream);

    if (reference) {
        const int64_t blocks = ceil_div(b * h * t, 128);
        if (blocks > INT32_MAX) return fail(GATUN_CUDA_ERR_UNSUPPORTED, "too many rows");
        dispatch_float(dtype, [&](auto tag) {
            using T = typename decltype(tag)::type;
            rope_reference_kernel<T><<<static_cast<unsigned>(blocks), 128, 0, s>>>(p);
        });
        GATUN_CUDA_CHECK_LAUNCH("rope_reference_kernel");
        return GATUN_CUDA_OK;
    }
    const int64_t pairs = b * h * t * (d / 2);
    const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(ceil_div(pairs, 256),
                                                                    1 << 20));
    dispatch_float(dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        rope_kernel<T><<<blocks, 256, 0, s>>>(p);
    });
    GATUN_CUDA_CHECK_LAUNCH("rope_kernel");
    return GATUN_CUDA_OK;
}

}  // namespace
}  // namespace gatun_cuda

using namespace gatun_cuda;

extern "C" {

gatun_cuda_status gatun_cuda_rope(int32_t dtype, int64_t b, int64_t h, int64_t t, int64_t d,
                                  const void *src, const int64_t *src_strides,
                                  const int32_t *positions, float theta, int32_t interleaved,
                                  void *dst, const int64_t *dst_strides, void *stream) {
    begin("gatun_cuda_rope");
    return rope(false, dtype, b, h, t, d, src, src_strides, positions, theta, interleaved,
                dst, dst_strides, stream);
}

gatun_cuda_status gatun_cuda_rope_reference(int32_t dtype, int64_t b, int64_t h, int64_t t,
                                            int64_t d, const void *src,
                                            const int64_t *src_strides,
                                            const int32_t *positions, float theta,
                                            int32_t interleaved, void *dst,
                                            const int64_t *dst_strides, void *stream) {
    begin("gatun_cuda_rope_reference");
    return rope(true, dtype, b, h, t, d, src, src_strides, positions, theta, interleaved,
                dst, dst_strides, stream);
}

}  // extern "C"
