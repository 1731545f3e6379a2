// Shared plumbing of the CPU backend: error reporting and argument checks, dtype helpers,
// the oneDNN engine and streams, per-thread scratch and the OpenMP loop helper.
//
// Every entry point has the same shape:
//
//     gatun_status gatun_x(...) {
//         return guarded("gatun_x", [&] {
//             check(n >= 0, "n must be >= 0, got ", n);     // throws Failure
//             ...                                            // oneDNN may throw dnnl::error
//         });
//     }
//
// guarded() clears the thread's last error, runs the body and turns every C++ exception
// into a status plus a message, so nothing unwinds across the C ABI.
#pragma once

#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <new>
#include <sstream>
#include <string>
#include <utility>

#include <omp.h>

#include "gatun.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace gatun {

// ---- errors ---------------------------------------------------------------------------------

// Records msg as this thread's last error and returns status. Never throws.
gatun_status fail(gatun_status status, const std::string &msg) noexcept;

// Clears the thread's last error; guarded() calls it first.
void clear_error() noexcept;

// A failure with its status, thrown by the checks below and caught by guarded().
struct Failure {
    gatun_status status;
    std::string message;
};

template <class... Parts>
std::string concat(const Parts &...parts) {
    std::ostringstream out;
    (out << ... << parts);
    return out.str();
}

// Throws Failure(GATUN_ERR_INVALID_ARGUMENT) with the parts joined when ok is false.
template <class... Parts>
void check(bool ok, const Parts &...parts) {
    if (!ok) {
        throw Failure{GATUN_ERR_INVALID_ARGUMENT, concat(parts...)};
    }
}

// Names a dnnl_status_t for messages ("unimplemented").
const char *dnnl_status_name(dnnl_status_t status) noexcept;

// Runs body() and maps what it throws: Failure to its status, dnnl::error to
// GATUN_ERR_ONEDNN, std::bad_alloc to GATUN_ERR_OUT_OF_MEMORY, anything else to
// GATUN_ERR_INTERNAL. Each message starts with fn.
template <class Body>
gatun_status guarded(const char *fn, Body &&body) noexcept {
    clear_error();
    try {
        try {
            body();
            return GATUN_OK;
        } catch (const Failure &e) {
            return fail(e.status, concat(fn, ": ", e.message));
        } catch (const dnnl::error &e) {
            return fail(GATUN_ERR_ONEDNN, concat(fn, ": oneDNN failed with status ",
                                                 static_cast<int>(e.status), " (",
                                                 dnnl_status_name(e.status), "): ", e.what()));
        } catch (const std::bad_alloc &) {
            return fail(GATUN_ERR_OUT_OF_MEMORY, concat(fn, ": out of memory"));
        } catch (const std::exception &e) {
            return fail(GATUN_ERR_INTERNAL, concat(fn, ": internal error: ", e.what()));
        } catch (...) {
            return fail(GATUN_ERR_INTERNAL, concat(fn, ": internal error (unknown exception)"));
        }
    } catch (...) {
        // Building a message failed (out of memory): report the status alone.
        return fail(GATUN_ERR_OUT_OF_MEMORY, "");
    }
}

// ---- argument checks shared by the entry points -----------------------------------------------

const char *dtype_name(int32_t dtype) noexcept;

// dtype must be GATUN_F32, GATUN_F16 or GATUN_BF16.
void check_float_dtype(const char *what, int32_t dtype);

// ptr must not be NULL.
void check_not_null(const void *ptr, const char *what);

// Each of the rank strides must be >= 0; strides must not be NULL.
void check_strides(const int64_t *strides, int rank, const char *what);

// A destination must not write one element twice: its stride must be > 0 along every
// dimension longer than 1.
void check_dst_strides(const int64_t *strides, const int64_t *dims, int rank,
                       const char *what);

// ---- dtypes ---------------------------------------------------------------------------------

// Storage types of the floating dtypes; arithmetic always happens in float.
struct bf16_t {
    uint16_t bits;
};
struct f16_t {
    uint16_t bits;
};

inline float to_float(float x) { return x; }

inline float to_float(bf16_t x) {
    uint32_t u = static_cast<uint32_t>(x.bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

inline float to_float(f16_t x) { return _cvtsh_ss(x.bits); }

template <class T>
T from_float(float x);

template <>
inline float from_float<float>(float x) {
    return x;
}

// Round to nearest even, as DType.floatToBf16 on the Java side; NaN stays a quiet NaN.
template <>
inline bf16_t from_float<bf16_t>(float x) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    if (std::isnan(x)) {
        return {static_cast<uint16_t>((u >> 16) | 0x40)};
    }
    u += 0x7FFF + ((u >> 16) & 1);
    return {static_cast<uint16_t>(u >> 16)};
}

template <>
inline f16_t from_float<f16_t>(float x) {
    return {static_cast<uint16_t>(_cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT))};
}

// Calls f with a value of the storage type of dtype (float, bf16_t or f16_t); dtype must
// have been checked with check_float_dtype.
template <class F>
decltype(auto) with_dtype(int32_t dtype, F &&f) {
    switch (dtype) {
        case GATUN_BF16: return f(bf16_t{});
        case GATUN_F16: return f(f16_t{});
        default: return f(float{});
    }
}

inline int64_t dtype_size(int32_t dtype) { return dtype == GATUN_F32 ? 4 : 2; }

dnnl::memory::data_type to_dnnl(int32_t dtype);

// The dtype oneDNN computes in for storage dtype: dtype itself where this CPU's oneDNN has
// matmul, layer norm, softmax and eltwise primitives for it, else GATUN_F32. Decided once
// per dtype by creating a small primitive of each kind. On CPUs without AVX512-FP16 (or
// AVX2-VNNI-2) F16 is not native: those ops then convert their operands to f32 scratch.
int32_t compute_dtype(int32_t dtype);

// Byte address of element `elements` of p, for a storage dtype.
inline const void *at(const void *p, int64_t elements, int32_t dtype) {
    return static_cast<const char *>(p) + elements * dtype_size(dtype);
}

inline void *at(void *p, int64_t elements, int32_t dtype) {
    return static_cast<char *>(p) + elements * dtype_size(dtype);
}

// ---- conversions and activations (elementwise.cpp) --------------------------------------------

// act(x) in fp32 for a gatun_activation code.
float activate(int32_t activation, float x);

// Copies a strided tensor of rank <= 4 into another, converting the dtype:
// dst[i...] = src[i...]. The two must not overlap.
void copy_strided(int rank, const int64_t *dims, int32_t src_dtype, const void *src,
                  const int64_t *src_strides, int32_t dst_dtype, void *dst,
                  const int64_t *dst_strides);

// ---- oneDNN engine and streams ---------------------------------------------------------------

// The CPU engine, created on first use.
const dnnl::engine &cpu_engine();

// A stream of cpu_engine for the calling thread, created on the thread's first use: oneDNN
// does not document a stream as safe to use from several threads at once.
dnnl::stream &thread_stream();

// ---- scratch memory ---------------------------------------------------------------------------

// Per-thread scratch buffers, one per slot, 64-byte aligned, grown on demand and kept for
// the thread's life, so the hot paths allocate nothing per call. Callers bound what they
// ask for (by blocking) so a thread never keeps more than a few MiB.
enum ScratchSlot { kOneDnnScratchpad, kScratchA, kScratchB, kScratchC, kScratchSlots };

void *thread_scratch(ScratchSlot slot, size_t bytes);

template <class T>
T *thread_scratch(ScratchSlot slot, size_t count) {
    return static_cast<T *>(thread_scratch(slot, count * sizeof(T)));
}

// A 64-byte aligned buffer owned by one call (for sizes proportional to a whole tensor, which
// per-thread scratch must not keep).
class Buffer {
public:
    explicit Buffer(size_t bytes);
    ~Buffer();
    Buffer(const Buffer &) = delete;
    Buffer &operator=(const Buffer &) = delete;

    template <class T>
    T *as() const {
        return static_cast<T *>(data_);
    }

private:
    void *data_;
    size_t bytes_;
};

// ---- parallel loops ---------------------------------------------------------------------------

// Runs body(i) for i in [0, n) on the OpenMP team, or on the calling thread when `parallel`
// is false or the caller already is inside a parallel region. The first exception any
// iteration throws is rethrown once the loop ends (none may escape an OpenMP region).
template <class Body>
void parallel_for(int64_t n, bool parallel, Body &&body) {
    if (!parallel || n < 2 || omp_in_parallel()) {
        for (int64_t i = 0; i < n; i++) {
            body(i);
        }
        return;
    }
    std::exception_ptr error;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
        try {
            body(i);
        } catch (...) {
#pragma omp critical(gatun_parallel_error)
            if (!error) {
                error = std::current_exception();
            }
        }
    }
    if (error) {
        std::rethrow_exception(error);
    }
}

// Below this many elements of work a loop runs on one thread: waking the team costs more.
constexpr int64_t kParallelThreshold = 1 << 14;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

}  // namespace gatun
