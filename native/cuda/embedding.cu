// embedding: dst[i, :] = table[ids[i], :], table [V, C], ids int32 [n], dst [n, C].
//
// The ids live on the device, so they are checked there first: embedding_check_kernel
// records the first position whose id is outside [0, V) in a device word, the host reads
// it back (one stream synchronisation) and fails before any row is written. Then
// embedding_kernel copies rows in 16-byte chunks where rows are aligned, element by
// element otherwise; embedding_reference_kernel copies one element per thread.
#include <algorithm>
#include <string>

#include "common.cuh"

namespace gatun_cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kNoBad = 0x7f7f7f7f;

__global__ void embedding_check_kernel(int64_t n, const int32_t *ids, int64_t v,
                                       int *first_bad) {
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int32_t id = ids[i];
        if (id < 0 || id >= v) atomicMin(first_bad, static_cast<int>(i));
    }
}

// Rows as chunks of `unit` bytes: 16 when every row start is 16-byte aligned, else the
// element size. Copies bits, so no dtype conversion happens.
template <typename U>
__global__ void embedding_kernel(int64_t n, int64_t units_per_row, const U *table,
                                 int64_t table_ld, const int32_t *ids, U *dst,
                                 int64_t dst_ld) {
    const int64_t total = n * units_per_row;
    for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
         idx < total; idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t row = idx / units_per_row;
        const int64_t u = idx % units_per_row;
        dst[row * dst_ld + u] = table[static_cast<int64_t>(ids[row]) * table_ld + u];
    }
}

template <typename T>
__global__ void embedding_reference_kernel(int64_t n, int64_t c, const T *table,
                                           int64_t table_ld, const int32_t *ids, T *dst,
                                           int64_t dst_ld) {
    const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= n * c) return;
    const int64_t row = idx / c;
    const int64_t col = idx % c;
    dst[row * dst_ld + col] = table[static_cast<int64_t>(ids[row]) * table_ld + col];
}

// Fails with GATUN_CUDA_ERR_INVALID_ARGUMENT, naming the first bad position and its id,
// when an id is outside [0, v). Synchronises the stream.
gatun_cuda_status check_ids(int64_t n, const int32_t *ids, int64_t v, cudaStream_t s) {
    int *flag = nullptr;
    GATUN_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void **>(&flag), sizeof(int), s));
    // every byte 0x7f: a position no valid call reaches (n < kNoBad)
    int first_bad = kNoBad;
    cudaError_t err = cudaMemsetAsync(flag, 0x7f, sizeof(int), s);
    if (err == cudaSuccess) {
        const unsigned blocks =
            static_cast<unsigned>(std::min<int64_t>(ceil_div(n, kThreads), 4096));
        embedding_check_kernel<<<blocks, kThreads, 0, s>>>(n, ids, v, flag);
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = cudaMemcpyAsync(&first_bad, flag, sizeof(int), cudaMemcpyDeviceToHost, s);
    const cudaError_t free_err = cudaFreeAsync(flag, s);
    if (err == cudaSuccess) err = free_err;
    if (err == cudaSuccess) err = cudaStreamSynchronize(s);
    if (err != cudaSuccess) return cuda_fail(err, "checking the ids", __FILE__, __LINE__);
    if (first_bad == kNoBad) return GATUN_CUDA_OK;

    int32_t bad_id = 0;
    GATUN_CUDA_CHECK(cudaMemcpy(&bad_id, ids + first_bad, sizeof(int32_t),
                                cudaMemcpyDeviceToHost));
    return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                "ids[" + std::to_string(first_bad) + "] = " + std::to_string(bad_id) +
                    " is outside [0, V=" + std::to_string(v) + ")");
}

gatun_cuda_status embedding(bool reference, int32_t dtype, int64_t v, int64_t c,
                            const void *table, int64_t table_ld, int64_t n,
                            const int32_t *ids, void *dst, int64_t dst_ld, void *stream) {
    if (!is_float_dtype(dtype))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    std::string("dtype must be F32, F16 or BF16, got ") + dtype_name(dtype));
    if (v < 1 || c < 1 || n < 0 || table_ld < c || dst_ld < c)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "need V >= 1, C >= 1, n >= 0, table_ld and dst_ld >= C; got V=" +
                        std::to_string(v) + ", C=" + std::to_string(c) + ", n=" +
                        std::to_string(n) + ", table_ld=" + std::to_string(table_ld) +
                        ", dst_ld=" + std::to_string(dst_ld));
    if (n >= kNoBad)
        return fail(GATUN_CUDA_ERR_UNSUPPORTED, "n must be < " + std::to_string(kNoBad) +
                                                     ", got " + std::to_string(n));
    if (n == 0) return GATUN_CUDA_OK;
    if (!table || !ids || !dst)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "table, ids and dst must not be NULL");
    cudaStream_t s = as_stream(stream);
    GATUN_CUDA_TRY(check_ids(n, ids, v, s));

    const int elem = dtype_size(dtype);
    if (reference) {
        const int64_t blocks = ceil_div(n * c, kThreads);
        if (blocks > INT32_MAX) return fail(GATUN_CUDA_ERR_UNSUPPORTED, "n * C too large");
        dispatch_float(dtype, [&](auto tag) {
            using T = typename decltype(tag)::type;
            embedding_reference_kernel<T><<<static_cast<unsigned>(blocks), kThreads, 0, s>>>(
                n, c, static_cast<const T *>(table), table_ld, ids, static_cast<T *>(dst),
                dst_ld);
        });
        GATUN_CUDA_CHECK_LAUNCH("embedding_reference_kernel");
        return GATUN_CUDA_OK;
    }

    const bool vec = aligned16(table) && aligned16(dst) && (c * elem) % 16 == 0 &&
                     (table_ld * elem) % 16 == 0 && (dst_ld * elem) % 16 == 0;
    const int unit = vec ? 16 : elem;
    const int64_t units = c * elem / unit;
    const unsigned blocks =
        static_cast<unsigned>(std::min<int64_t>(ceil_div(n * units, kThreads), 1 << 20));
    const int64_t tld = table_ld * elem / unit;
    const int64_t dld = dst_ld * elem / unit;
    if (unit == 16)
        embedding_kernel<uint4><<<blocks, kThreads, 0, s>>>(
            n, units, static_cast<const uint4 *>(table), tld, ids, static_cast<uint4 *>(dst), dld);
    else if (unit == 4)
        embedding_kernel<uint32_t><<<blocks, kThreads, 0, s>>>(
            n, units, static_cast<const uint32_t *>(table), tld, ids,
            static_cast<uint32_t *>(dst), dld);
    else
        embedding_kernel<uint16_t><<<blocks, kThreads, 0, s>>>(
            n, units, static_cast<const uint16_t *>(table), tld, ids,
            static_cast<uint16_t *>(dst), dld);
    GATUN_CUDA_CHECK_LAUNCH("embedding_kernel");
    return GATUN_CUDA_OK;
}

}  // namespace
}  // namespace gatun_cuda

using namespace gatun_cuda;

extern "C" {

gatun_cuda_status gatun_cuda_embedding(int32_t dtype, int64_t v, int64_t c, const void *table,
                                       int64_t table_ld, int64_t n, const int32_t *ids,
                                       void *dst, int64_t dst_ld, void *stream) {
    begin("gatun_cuda_embedding");
    return embedding(false, dtype, v, c, table, table_ld, n, ids, dst, dst_ld, stream);
}

gatun_cuda_status gatun_cuda_embedding_reference(int32_t dtype, int64_t v, int64_t c,
                                                 const void *table, int64_t table_ld,
                                                 int64_t n, const int32_t *ids, void *dst,
                                                 int64_t dst_ld, void *stream) {
    begin("gatun_cuda_embedding_reference");
    return embedding(true, dtype, v, c, table, table_ld, n, ids, dst, dst_ld, stream);
}

}  // extern "C"
