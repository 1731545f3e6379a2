// layer_norm and rms_norm, each fused with the residual add that precedes it in a
// Transformer block: x = src + residual; sum_dst = x; dst = norm(x) gamma (+ beta).
//
// norm_kernel: one block per row. The row is read once (16-byte vectors where aligned),
// added, optionally written to sum_dst, and kept in shared memory as fp32; the statistics
// (mean, then the centred variance, or the mean square) and the output come from there.
// norm_reference_kernel: one thread per row, plain loops over global memory.
#include <algorithm>
#include <string>

#include "common.cuh"

namespace gatun_cuda {
namespace {

constexpr int kMaxC = 32768;  // the fast kernel's row cache: 128 KB of shared memory

struct NormArgs {
    int64_t rows;
    int c;
    const void *src;
    int64_t src_ld;
    const void *res;
    int64_t res_ld;
    const float *gamma;
    const float *beta;
    float eps;
    void *dst;
    int64_t dst_ld;
    void *sum;
    int64_t sum_ld;
    bool vec;  // every row pointer 16-byte aligned and C a multiple of 8
};

template <typename T, bool RMS> __global__ void norm_kernel(NormArgs p) {
    extern __shared__ float xs[];  // [C] the row, fp32
    __shared__ float scratch[32];
    const int64_t row = blockIdx.x;
    const int C = p.c;
    const T *src = static_cast<const T *>(p.src) + row * p.src_ld;
    const T *res = p.res ? static_cast<const T *>(p.res) + row * p.res_ld : nullptr;
    T *sum = p.sum ? static_cast<T *>(p.sum) + row * p.sum_ld : nullptr;
    T *dst = static_cast<T *>(p.dst) + row * p.dst_ld;

    // 1. x = src + residual, rounded to T when added (it is what sum_dst holds)
    float acc = 0.0f;
    if (p.vec) {
        for (int c8 = threadIdx.x; c8 < C / 8; c8 += blockDim.x) {
            float x[8];
            load8(src + c8 * 8, x);
            if (res) {
                float r[8];
                load8(res + c8 * 8, r);
#pragma unroll
                for (int e = 0; e < 8; ++e) x[e] = round_to<T>(x[e] + r[e]);
            }
            if (sum) store8(sum + c8 * 8, x);
#pragma unroll
            for (int e = 0; e < 8; ++e) {
                xs[c8 * 8 + e] = x[e];
                acc += RMS ? x[e] * x[e] : x[e];
            }
        }
    } else {
        for (int c = threadIdx.x; c < C; c += blockDim.x) {
            float x = to_float(src[c]);
            if (res) x = round_to<T>(x + to_float(res[c]));
            if (sum) sum[c] = from_float<T>(x);
            xs[c] = x;
            acc += RMS ? x * x : x;
        }
    }

    // 2. statistics in fp32: mean square, or mean and then the centred variance
    const float total = block_sum(acc, scratch);
    float mean = 0.0f;
    float rstd;
    if (RMS) {
        rstd = rsqrtf(total / C + p.eps);
    } else {
        mean = total / C;
        float sq = 0.0f;
        for (int c = threadIdx.x; c < C; c += blockDim.x) {
            const float dx = xs[c] - mean;
            sq += dx * dx;
        }
        rstd = rsqrtf(block_sum(sq, scratch) / C + p.eps);
    }

    // 3. dst = (x - mean) rstd gamma + beta
    auto norm = [&](int c) {
        float y = (xs[c] - mean) * rstd;
        if (p.gamma) y *= p.gamma[c];
        if (!RMS && p.beta) y += p.beta[c];
        return y;
    };
    if (p.vec) {
        for (int c8 = threadIdx.x; c8 < C / 8; c8 += blockDim.x) {
            float y[8];
#pragma unroll
            for (int e = 0; e < 8; ++e) y[e] = norm(c8 * 8 + e);
            store8(dst + c8 * 8, y);
        }
    } else {
        for (int c = threadIdx.x; c < C; c += blockDim.x) dst[c] = from_float<T>(norm(c));
    }
}

// One thread per row. Every pass rereads src and residual; sum_dst and dst are written
// in the last pass, element by element after its inputs are read, so aliasing is safe.
template <typename T, bool RMS> __global__ void norm_reference_kernel(NormArgs p) {
    const int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (row >= p.rows) return;
    const int C = p.c;
    const T *src = static_cast<const T *>(p.src) + row * p.src_ld;
    const T *res = p.res ? static_cast<const T *>(p.res) + row * p.res_ld : nullptr;
    T *sum = p.sum ? static_cast<T *>(p.sum) + row * p.sum_ld : nullptr;
    T *dst = static_cast<T *>(p.dst) + row * p.dst_ld;
    auto x_at = [&](int c) {
        float x = to_float(src[c]);
        if (res) x = round_to<T>(x + to_float(res[c]));
        return x;
    };

    float mean = 0.0f;
    float var = 0.0f;
    if (RMS) {
        for (int c = 0; c < C; ++c) var += x_at(c) * x_at(c);
        var /= C;
    } else {
        for (int c = 0; c < C; ++c) mean += x_at(c);
        mean /= C;
        for (int c = 0; c < C; ++c) var += (x_at(c) - mean) * (x_at(c) - mean);
        var /= C;
    }
    const float rstd = 1.0f / sqrtf(var + p.eps);
    for (int c = 0; c < C; ++c) {
        const float x = x_at(c);
        float y = (x - mean) * rstd;
        if (p.gamma) y *= p.gamma[c];
        if (!RMS && p.beta) y += p.beta[c];
        if (sum) sum[c] = from_float<T>(x);
        dst[c] = from_float<T>(y);
    }
}

bool row_vec_ok(const void *base, int64_t ld, int elem) {
    return !base || (aligned16(base) && (ld * elem) % 16 == 0);
}

gatun_cuda_status norm(bool reference, bool rms, int32_t dtype, int64_t rows, int64_t c,
                       const void *src, int64_t src_ld, const void *residual,
                       int64_t residual_ld, const float *gamma, const float *beta, float eps,
                       void *dst, int64_t dst_ld, void *sum_dst, int64_t sum_ld,
                       void *stream) {
    if (!is_float_dtype(dtype))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    std::string("dtype must be F32, F16 or BF16, got ") + dtype_name(dtype));
    if (rows < 0 || c < 1)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "need rows >= 0 and C >= 1, got rows=" + std::to_string(rows) +
                        ", C=" + std::to_string(c));
    if (src_ld < c || dst_ld < c || (residual && residual_ld < c) || (sum_dst && sum_ld < c))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "row strides must be >= C=" + std::to_string(c) +
                        ", got src_ld=" + std::to_string(src_ld) +
                        ", residual_ld=" + std::to_string(residual_ld) +
                        ", dst_ld=" + std::to_string(dst_ld) +
                        ", sum_ld=" + std::to_string(sum_ld));
    if (!(eps >= 0.0f))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "eps must be >= 0, got " +
                                                          std::to_string(eps));
    if (rows == 0) return GATUN_CUDA_OK;
    if (!src || !dst) return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "src and dst must not be NULL");
    if (rows > INT32_MAX)
        return fail(GATUN_CUDA_ERR_UNSUPPORTED, "rows must be < 2^31, got " +
                                                     std::to_string(rows));

    NormArgs p{};
    p.rows = rows;
    p.c = static_cast<int>(std::min<int64_t>(c, INT32_MAX));
    p.src = src;
    p.src_ld = src_ld;
    p.res = residual;
    p.res_ld = residual_ld;
    p.gamma = gamma;
    p.beta = beta;
    p.eps = eps;
    p.dst = dst;
    p.dst_ld = dst_ld;
    p.sum = sum_dst;
    p.sum_ld = sum_ld;
    const int elem = dtype_size(dtype);
    p.vec = c % 8 == 0 && row_vec_ok(src, src_ld, elem) &&
            row_vec_ok(residual, residual_ld, elem) && row_vec_ok(dst, dst_ld, elem) &&
            row_vec_ok(sum_dst, sum_ld, elem);
    cudaStream_t s = as_stream(stream);

    if (reference) {
        const unsigned blocks = static_cast<unsigned>(ceil_div(rows, 128));
        dispatch_float(dtype, [&](auto tag) {
            using T = typename decltype(tag)::type;
            if (rms) norm_reference_kernel<T, true><<<blocks, 128, 0, s>>>(p);
            else norm_reference_kernel<T, false><<<blocks, 128, 0, s>>>(p);
        });
        GATUN_CUDA_CHECK_LAUNCH("norm_reference_kernel");
        return GATUN_CUDA_OK;
    }

    if (c > kMaxC)
        return fail(GATUN_CUDA_ERR_UNSUPPORTED,
                    "C must be <= 32768 (the row is cached in shared memory), got C=" +
                        std::to_string(c));
    // about 8 elements per thread per pass, 32 to 256 threads
    const int threads = static_cast<int>(std::min<int64_t>(
        256, std::max<int64_t>(32, ceil_div(ceil_div(c, 8), 32) * 32)));
    const int bytes = static_cast<int>(c * sizeof(float));
    return dispatch_float(dtype, [&](auto tag) -> gatun_cuda_status {
        using T = typename decltype(tag)::type;
        auto kernel = rms ? norm_kernel<T, true> : norm_kernel<T, false>;
        GATUN_CUDA_TRY(allow_shared_memory(reinterpret_cast<const void *>(kernel), bytes));
        kernel<<<static_cast<unsigned>(rows), threads, bytes, s>>>(p);
        GATUN_CUDA_CHECK_LAUNCH("norm_kernel");
        return GATUN_CUDA_OK;
    });
}

}  // namespace
}  // namespace gatun_cuda

using namespace gatun_cuda;

extern "C" {

gatun_cuda_status gatun_cuda_layer_norm(int32_t dtype, int64_t rows, int64_t c,
                                        const void *src, int64_t src_ld,
                                        const void *residual, int64_t residual_ld,
                                        const float *gamma, const float *beta, float eps,
                                        void *dst, int64_t dst_ld, void *sum_dst,
                                        int64_t sum_ld, void *stream) {
    begin("gatun_cuda_layer_norm");
    return norm(false, false, dtype, rows, c, src, src_ld, residual, residual_ld, gamma, beta,
                eps, dst, dst_ld, sum_dst, sum_ld, stream);
}

gatun_cuda_status gatun_cuda_layer_norm_reference(int32_t dtype, int64_t rows, int64_t c,
                                                  const void *src, int64_t src_ld,
                                                  const void *residual, int64_t residual_ld,
                                                  const float *gamma, const float *beta,
                                                  float eps, void *dst, int64_t dst_ld,
                                                  void *sum_dst, int64_t sum_ld,
                                                  void *stream) {
    begin("gatun_cuda_layer_norm_reference");
    return norm(true, false, dtype, rows, c, src, src_ld, residual, residual_ld, gamma, beta,
                eps, dst, dst_ld, sum_dst, sum_ld, stream);
}

gatun_cuda_status gatun_cuda_rms_norm(int32_t dtype, int64_t rows, int64_t c,
                                      const void *src, int64_t src_ld, const void *residual,
                                      int64_t residual_ld, const float *gamma, float eps,
                                      void *dst, int64_t dst_ld, void *sum_dst,
                                      int64_t sum_ld, void *stream) {
    begin("gatun_cuda_rms_norm");
    return norm(false, true, dtype, rows, c, src, src_ld, residual, residual_ld, gamma,
                nullptr, eps, dst, dst_ld, sum_dst, sum_ld, stream);
}

gatun_cuda_status gatun_cuda_rms_norm_reference(int32_t dtype, int64_t rows, int64_t c,
                                                const void *src, int64_t src_ld,
                                                const void *residual, int64_t residual_ld,
                                                const float *gamma, float eps, void *dst,
                                                int64_t dst_ld, void *sum_dst,
                                                int64_t sum_ld, void *stream) {
    begin("gatun_cuda_rms_norm_reference");
    return norm(true, true, dtype, rows, c, src, src_ld, residual, residual_ld, gamma,
                nullptr, eps, dst, dst_ld, sum_dst, sum_ld, stream);
}

}  // extern "C"
