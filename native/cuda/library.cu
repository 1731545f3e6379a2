// Library-wide entry points: ABI version, per-thread errors, devices, memory and streams.
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "common.cuh"

namespace gatun_cuda {

namespace {

// Read by gatun_cuda_last_error; one per thread so concurrent callers never mix messages.
thread_local std::string last_error;
thread_local const char *current_op = "gatun_cuda";

std::mutex cache_mutex;
std::vector<int> sm_counts;                          // per device; 0 = not read yet
std::set<std::pair<int, const void *>> raised_smem;  // (device, kernel) already raised

}  // namespace

void begin(const char *op) {
    current_op = op;
    last_error.clear();
}

gatun_cuda_status fail(gatun_cuda_status status, const std::string &msg) {
    last_error = std::string(current_op) + ": " + msg;
    return status;
}

gatun_cuda_status cuda_fail(cudaError_t err, const char *call, const char *file, int line) {
    const char *base = std::strrchr(file, '/');
    std::string msg = std::string(call) + " failed at " + (base ? base + 1 : file) + ":" +
                      std::to_string(line) + ": " + cudaGetErrorName(err) + " (" +
                      cudaGetErrorString(err) + ")";
    return fail(err == cudaErrorMemoryAllocation ? GATUN_CUDA_ERR_OUT_OF_MEMORY
                                                 : GATUN_CUDA_ERR_CUDA,
                msg);
}

std::string shape_str(const int64_t *values, int count) {
    std::string s = "[";
    for (int i = 0; i < count; ++i) {
        if (i > 0) s += ", ";
        s += std::to_string(values[i]);
    }
    return s + "]";
}

std::string dtype_name(int32_t dtype) {
    switch (dtype) {
    case GATUN_F32: return "F32";
    case GATUN_F16: return "F16";
    case GATUN_BF16: return "BF16";
    case GATUN_I32: return "I32";
    default: return "unknown dtype " + std::to_string(dtype);
    }
}

gatun_cuda_status sm_count(int *count) {
    int device = 0;
    GATUN_CUDA_CHECK(cudaGetDevice(&device));
    {
        std::lock_guard<std::mutex> lock(cache_mutex);
        if (device < static_cast<int>(sm_counts.size()) && sm_counts[device] > 0) {
            *count = sm_counts[device];
            return GATUN_CUDA_OK;
        }
    }
    int value = 0;
    GATUN_CUDA_CHECK(
        cudaDeviceGetAttribute(&value, cudaDevAttrMultiProcessorCount, device));
    std::lock_guard<std::mutex> lock(cache_mutex);
    if (device >= static_cast<int>(sm_counts.size())) sm_counts.resize(device + 1, 0);
    sm_counts[device] = value;
    *count = value;
    return GATUN_CUDA_OK;
}

gatun_cuda_status allow_shared_memory(const void *kernel, int bytes) {
    if (bytes <= 48 * 1024) return GATUN_CUDA_OK;
    int device = 0;
    GATUN_CUDA_CHECK(cudaGetDevice(&device));
    {
        std::lock_guard<std::mutex> lock(cache_mutex);
        if (raised_smem.count({device, kernel})) return GATUN_CUDA_OK;
    }
    int optin = 0;
    GATUN_CUDA_CHECK(
        cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    if (bytes > optin)
        return fail(GATUN_CUDA_ERR_UNSUPPORTED,
                    "a kernel needs " + std::to_string(bytes) +
                        " bytes of shared memory per block, the device allows " +
                        std::to_string(optin));
    // Raised to the device's limit once, so later calls with other sizes need no raise.
    GATUN_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          optin));
    std::lock_guard<std::mutex> lock(cache_mutex);
    raised_smem.insert({device, kernel});
    return GATUN_CUDA_OK;
}

}  // namespace gatun_cuda

using namespace gatun_cuda;

extern "C" {

int32_t gatun_cuda_abi_version(void) { return GATUN_CUDA_ABI_VERSION; }

const char *gatun_cuda_last_error(void) { return last_error.c_str(); }

gatun_cuda_status gatun_cuda_device_count(int32_t *count) {
    begin("gatun_cuda_device_count");
    if (!count) return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "count must not be NULL");
    int n = 0;
    const cudaError_t err = cudaGetDeviceCount(&n);
    if (err == cudaErrorNoDevice || err == cudaErrorInsufficientDriver) {
        // No GPU is an answer, not a failure; the message says which absence it was.
        cudaGetLastError();
        *count = 0;
        fail(GATUN_CUDA_OK, std::string("no usable CUDA device: ") + cudaGetErrorName(err) +
                                " (" + cudaGetErrorString(err) + ")");
        return GATUN_CUDA_OK;
    }
    GATUN_CUDA_CHECK(err);
    *count = n;
    return GATUN_CUDA_OK;
}

gatun_cuda_status gatun_cuda_device_info(int32_t device, char *name, int64_t name_capacity,
                                         int32_t *cc_major, int32_t *cc_minor,
                                         int32_t *sm_count_out, int64_t *total_bytes) {
    begin("gatun_cuda_device_info");
    if (name && name_capacity <= 0)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "name_capacity must be > 0 when name is given, got " +
                        std::to_string(name_capacity));
    cudaDeviceProp prop;
    GATUN_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    if (name) {
        std::snprintf(name, static_cast<size_t>(name_capacity), "%s", prop.name);
    }
    if (cc_major) *cc_major = prop.major;
    if (cc_minor) *cc_minor = prop.minor;
    if (sm_count_out) *sm_count_out = prop.multiProcessorCount;
    if (total_bytes) *total_bytes = static_cast<int64_t>(prop.totalGlobalMem);
    return GATUN_CUDA_OK;
}

gatun_cuda_status gatun_cuda_set_device(int32_t device) {
    begin("gatun_cuda_set_device");
    GATUN_CUDA_CHECK(cudaSetDevice(device));
    return GATUN_CUDA_OK;
}

gatun_cuda_status gatun_cuda_get_device(int32_t *device) {
    begin("gatun_cuda_get_device");
    if (!device) return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "device must not be NULL");
    int d = 0;
    GATUN_CUDA_CHECK(cudaGetDevice(&d));
    *device = d;
    return GATUN_CUDA_OK;
}

gatun_cuda_status gatun_cuda_mem_info(int64_t *free_bytes, int64_t *total_bytes) {
    begin("gatun_cuda_mem_info");
    size_t free_b = 0, total_b = 0;
    GATUN_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    if (free_bytes) *free_bytes = static_cast<int64_t>(free_b);
    if (total_bytes) *total_bytes = static_cast<int64_t>(total_b);
    return GATUN_CUDA_OK;
}

gatun_cuda_status gatun_cuda_malloc(int64_t bytes, void **ptr) {
    begin("gatun_cuda_malloc");
    if (!ptr) return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "ptr must not be NULL");
    if (bytes < 0)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "bytes must be >= 0, got " + std::to_string(bytes));
    *ptr = nullptr;
    if (bytes == 0) return GATUN_CUDA_OK;
    const cudaError_t err = cudaMalloc(ptr, static_cast<size_t>(bytes));
    if (err == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        size_t free_b = 0, total_b = 0;
        cudaMemGetInfo(&free_b, &total_b);
        return fail(GATUN_CUDA_ERR_OUT_OF_MEMORY,
                    "cannot allocate " + std::to_string(bytes) + " bytes; " +
                        std::to_string(free_b) + " of " + std::to_string(total_b) +
                        " bytes free");
    }
    GATUN_CUDA_CHECK(err);
    return GATUN_CUDA_OK;
}

gatun_cuda_status gatun_cuda_free(void *ptr) {
    begin("gatun_cuda_free");
    if (ptr) GATUN_CUDA_CHECK(cudaFree(ptr));
    return GATUN_CUDA_OK;
}

gatun_cuda_status gatun_cuda_memcpy(void *dst, const void *src, int64_t bytes, void *stream) {
    begin("gatun_cuda_memcpy");
    if (bytes < 0)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "bytes must be >= 0, got " + std::to_string(bytes));
    if (bytes == 0) return GATUN_CUDA_OK;
    if (!dst || !src)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "dst and src must not be NULL");
    GATUN_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDefault,
                                     as_stream(stream)));
    return GATUN_CUDA_OK;
}

gatun_cuda_status gatun_cuda_memset(void *dst, int32_t value, int64_t bytes, void *stream) {
    begin("gatun_cuda_memset");
    if (bytes < 0 || value < 0 || value > 255)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "bytes must be >= 0 and value in [0, 255], got bytes=" +
                        std::to_string(bytes) + ", value=" + std::to_string(value));
    if (bytes == 0) return GATUN_CUDA_OK;
    if (!dst) return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "dst must not be NULL");
    GATUN_CUDA_CHECK(
        cudaMemsetAsync(dst, value, static_cast<size_t>(bytes), as_stream(stream)));
    return GATUN_CUDA_OK;
}

gatun_cuda_status gatun_cuda_stream_create(void **stream) {
    begin("gatun_cuda_stream_create");
    if (!stream) return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "stream must not be NULL");
    cudaStream_t s = nullptr;
    GATUN_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    *stream = s;
    return GATUN_CUDA_OK;
}

gatun_cuda_status gatun_cuda_stream_destroy(void *stream) {
    begin("gatun_cuda_stream_destroy");
    if (!stream) return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "stream must not be NULL");
    GATUN_CUDA_CHECK(cudaStreamDestroy(as_stream(stream)));
    return GATUN_CUDA_OK;
}

gatun_cuda_status gatun_cuda_stream_synchronize(void *stream) {
    begin("gatun_cuda_stream_synchronize");
    GATUN_CUDA_CHECK(cudaStreamSynchronize(as_stream(stream)));
    return GATUN_CUDA_OK;
}

}  // extern "C"
