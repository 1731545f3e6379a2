// Library-wide plumbing: the per-thread error message, argument checks, the oneDNN engine and
// streams, the dtype support probe and scratch memory; entry points gatun_abi_version,
// gatun_last_error and gatun_scratch_stats.
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>

#include "common.hpp"

namespace gatun {

// ---- errors ---------------------------------------------------------------------------------

// Read by gatun_last_error; one per thread so concurrent callers never see each other's.
thread_local std::string last_error;

gatun_status fail(gatun_status status, const std::string &msg) noexcept {
    try {
        last_error = msg;
    } catch (...) {
        last_error.clear();
    }
    return status;
}

void clear_error() noexcept { last_error.clear(); }

const char *dnnl_status_name(dnnl_status_t status) noexcept {
    switch (status) {
        case dnnl_success: return "success";
        case dnnl_out_of_memory: return "out_of_memory";
        case dnnl_invalid_arguments: return "invalid_arguments";
        case dnnl_unimplemented: return "unimplemented";
        case dnnl_last_impl_reached: return "last_impl_reached";
        case dnnl_runtime_error: return "runtime_error";
        case dnnl_not_required: return "not_required";
        default: return "unknown";
    }
}

// ---- argument checks --------------------------------------------------------------------------

const char *dtype_name(int32_t dtype) noexcept {
    switch (dtype) {
        case GATUN_F32: return "F32";
        case GATUN_F16: return "F16";
        case GATUN_BF16: return "BF16";
        case GATUN_I32: return "I32";
        default: return "unknown";
    }
}

void check_float_dtype(const char *what, int32_t dtype) {
    check(dtype == GATUN_F32 || dtype == GATUN_F16 || dtype == GATUN_BF16, what,
          " must be F32 (0), F16 (1) or BF16 (2), got ", dtype, " (", dtype_name(dtype), ")");
}

void check_not_null(const void *ptr, const char *what) {
    check(ptr != nullptr, what, " must not be NULL");
}

void check_strides(const int64_t *strides, int rank, const char *what) {
    check(strides != nullptr, what, " must not be NULL");
    for (int i = 0; i < rank; i++) {
        check(strides[i] >= 0, what, "[", i, "] must be >= 0, got ", strides[i]);
    }
}

void check_dst_strides(const int64_t *strides, const int64_t *dims, int rank,
                       const char *what) {
    check_strides(strides, rank, what);
    for (int i = 0; i < rank; i++) {
        check(dims[i] <= 1 || strides[i] > 0, what, "[", i,
              "] must be > 0 where the dimension is longer than 1 (a broadcast destination ",
              "writes one element twice), got 0 for a dimension of ", dims[i]);
    }
}

// ---- dtypes -----------------------------------------------------------------------------------

dnnl::memory::data_type to_dnnl(int32_t dtype) {
    switch (dtype) {
        case GATUN_F32: return dnnl::memory::data_type::f32;
        case GATUN_F16: return dnnl::memory::data_type::f16;
        case GATUN_BF16: return dnnl::memory::data_type::bf16;
        default:
            throw Failure{GATUN_ERR_INTERNAL, concat("no oneDNN type for dtype ", dtype)};
    }
}

namespace {

// Whether oneDNN builds every primitive kind Gatun uses for dt on this CPU.
bool onednn_supports(dnnl::memory::data_type dt) {
    using dnnl::memory;
    using tag = memory::format_tag;
    const auto f32 = memory::data_type::f32;
    const dnnl::engine &eng = cpu_engine();
    try {
        memory::desc m2(memory::dims{16, 16}, dt, tag::ab);
        memory::desc m2_f32(memory::dims{16, 16}, f32, tag::ab);
        memory::desc m3(memory::dims{1, 16, 16}, dt, tag::abc);
        memory::desc m3_f32(memory::dims{1, 16, 16}, f32, tag::abc);
        dnnl::matmul::primitive_desc(eng, m3, m3, m3);
        dnnl::matmul::primitive_desc(eng, m3, m3, m3_f32);
        dnnl::layer_normalization_forward::primitive_desc(
                eng, dnnl::prop_kind::forward_inference, m2_f32, m2, 1e-5f,
                dnnl::normalization_flags::none);
        dnnl::layer_normalization_forward::primitive_desc(
                eng, dnnl::prop_kind::forward_inference, m2, m2, 1e-5f,
                dnnl::normalization_flags::none);
        dnnl::softmax_forward::primitive_desc(eng, dnnl::prop_kind::forward_inference,
                                              dnnl::algorithm::softmax_accurate, m2_f32, m2,
                                              1);
        dnnl::eltwise_forward::primitive_desc(eng, dnnl::prop_kind::forward_inference,
                                              dnnl::algorithm::eltwise_gelu_erf, m2, m2);
        return true;
    } catch (const dnnl::error &e) {
        if (e.status == dnnl_unimplemented) {
            return false;
        }
        throw;
    }
}

}  // namespace

int32_t compute_dtype(int32_t dtype) {
    if (dtype == GATUN_F32) {
        return GATUN_F32;
    }
    static std::once_flag once[3];
    static bool native[3];
    int slot = dtype == GATUN_F16 ? 1 : 2;
    std::call_once(once[slot], [&] { native[slot] = onednn_supports(to_dnnl(dtype)); });
    return native[slot] ? dtype : GATUN_F32;
}

// ---- engine and streams -----------------------------------------------------------------------

const dnnl::engine &cpu_engine() {
    static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    return engine;
}

dnnl::stream &thread_stream() {
    thread_local dnnl::stream stream(cpu_engine());
    return stream;
}

// ---- scratch ----------------------------------------------------------------------------------

namespace {

constexpr size_t kAlignment = 64;

void *aligned(size_t bytes) {
    size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    void *p = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
    if (p == nullptr) {
        throw Failure{GATUN_ERR_OUT_OF_MEMORY,
                      concat("could not allocate ", bytes, " bytes of scratch")};
    }
    return p;
}

// What gatun_scratch_stats reports: bytes held by every thread's scratch, the threads holding
// any, and the bytes of per-call buffers alive now.
std::atomic<int64_t> scratch_bytes{0};
std::atomic<int64_t> scratch_threads{0};
std::atomic<int64_t> buffer_bytes{0};

struct ThreadScratch {
    void *data[kScratchSlots] = {};
    size_t size[kScratchSlots] = {};
    bool counted = false;

    ~ThreadScratch() {
        int64_t held = 0;
        for (int i = 0; i < kScratchSlots; i++) {
            std::free(data[i]);
            held += static_cast<int64_t>(size[i]);
        }
        scratch_bytes.fetch_sub(held, std::memory_order_relaxed);
        if (counted) {
            scratch_threads.fetch_sub(1, std::memory_order_relaxed);
        }
    }
};

thread_local ThreadScratch scratch;

}  // namespace

void *thread_scratch(ScratchSlot slot, size_t bytes) {
    if (scratch.size[slot] < bytes) {
        std::free(scratch.data[slot]);
        scratch.data[slot] = nullptr;
        scratch_bytes.fetch_sub(static_cast<int64_t>(scratch.size[slot]),
                                std::memory_order_relaxed);
        scratch.size[slot] = 0;
        // Grow by half again so a slowly rising size does not reallocate every call.
        size_t grown = bytes + bytes / 2;
        scratch.data[slot] = aligned(grown);
        scratch.size[slot] = grown;
        scratch_bytes.fetch_add(static_cast<int64_t>(grown), std::memory_order_relaxed);
        if (!scratch.counted) {
            scratch.counted = true;
            scratch_threads.fetch_add(1, std::memory_order_relaxed);
        }
    }
    return scratch.data[slot];
}

Buffer::Buffer(size_t bytes) : data_(aligned(bytes)), bytes_(bytes) {
    buffer_bytes.fetch_add(static_cast<int64_t>(bytes_), std::memory_order_relaxed);
}

Buffer::~Buffer() {
    std::free(data_);
    buffer_bytes.fetch_sub(static_cast<int64_t>(bytes_), std::memory_order_relaxed);
}

}  // namespace gatun

extern "C" {

int32_t gatun_abi_version(void) { return GATUN_ABI_VERSION; }

const char *gatun_last_error(void) { return gatun::last_error.c_str(); }

gatun_status gatun_scratch_stats(int64_t *scratch_bytes_out, int64_t *scratch_threads_out,
                                 int64_t *buffer_bytes_out) {
    return gatun::guarded("gatun_scratch_stats", [&] {
        if (scratch_bytes_out != nullptr) {
            *scratch_bytes_out = gatun::scratch_bytes.load(std::memory_order_relaxed);
        }
        if (scratch_threads_out != nullptr) {
            *scratch_threads_out = gatun::scratch_threads.load(std::memory_order_relaxed);
        }
        if (buffer_bytes_out != nullptr) {
            *buffer_bytes_out = gatun::buffer_bytes.load(std::memory_order_relaxed);
        }
    });
}

}
