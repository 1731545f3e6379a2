// The primitive cache: each oneDNN primitive is created once per (kind, shape, strides,
// dtypes, flags) and reused by every later call with the same key, from any thread.
//
//     CacheKey key(PrimitiveKind::kSoftmax);
//     key.add_all(rows, cols, dtype);
//     auto p = cached_primitive(key, [&] { return make_cached<dnnl::softmax_forward>(
//             dnnl::softmax_forward::primitive_desc(...), {DNNL_ARG_SRC, DNNL_ARG_DST}); });
//     execute(*p, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
//
// Every primitive is built with a user-managed scratchpad, which execute() takes from
// per-thread scratch: concurrent calls on one primitive never share memory.
#pragma once

#include <algorithm>
#include <array>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

#include "common.hpp"

namespace gatun {

enum class PrimitiveKind : int64_t {
    kMatmul = 1,
    kLayerNorm = 2,
    kSoftmax = 3,
    kEltwise = 4,
};

// A fixed-capacity list of integers naming one primitive; building one allocates nothing.
class CacheKey {
public:
    explicit CacheKey(PrimitiveKind kind) { add(static_cast<int64_t>(kind)); }

    CacheKey &add(int64_t value) {
        if (size_ == kCapacity) {
            throw Failure{GATUN_ERR_INTERNAL, "primitive cache key longer than its capacity"};
        }
        values_[size_++] = value;
        return *this;
    }

    template <class... Values>
    CacheKey &add_all(Values... values) {
        (add(static_cast<int64_t>(values)), ...);
        return *this;
    }

    bool operator==(const CacheKey &other) const {
        return size_ == other.size_ &&
               std::equal(values_.begin(), values_.begin() + size_, other.values_.begin());
    }

    size_t hash() const noexcept;

private:
    static constexpr int kCapacity = 48;
    std::array<int64_t, kCapacity> values_{};
    int size_ = 0;
};

// A primitive with the memory descriptors of its execution arguments.
struct CachedPrimitive {
    dnnl::primitive primitive;
    std::vector<std::pair<int, dnnl::memory::desc>> args;
    dnnl::memory::desc scratchpad;
    size_t scratchpad_bytes = 0;
    // Built with runtime dimensions (DNNL_RUNTIME_DIM_VAL): every execution passes the
    // concrete descriptors of its arguments.
    bool runtime_dims = false;
};

// The attributes every cached primitive starts from: a user-managed scratchpad.
dnnl::primitive_attr scratchpad_attr();

CachedPrimitive make_cached(const dnnl::primitive_desc_base &pd, dnnl::primitive primitive,
                            const std::vector<int> &arg_ids);

// Creates primitive P from pd and records the descriptors of arg_ids (DNNL_ARG_*).
template <class P, class PD>
CachedPrimitive make_cached(const PD &pd, const std::vector<int> &arg_ids) {
    return make_cached(pd, P(pd), arg_ids);
}

using CacheBuilder = CachedPrimitive (*)(const void *context);

// The entry for key, built by build(context) under the cache lock if absent.
std::shared_ptr<const CachedPrimitive> cache_get(const CacheKey &key, CacheBuilder build,
                                                 const void *context);

template <class Build>
std::shared_ptr<const CachedPrimitive> cached_primitive(const CacheKey &key,
                                                        const Build &build) {
    return cache_get(
            key, [](const void *c) { return (*static_cast<const Build *>(c))(); }, &build);
}

// One execution argument: its DNNL_ARG_* id, the memory it reads or writes and, for a
// primitive with runtime dimensions, its concrete descriptor (else the recorded one).
struct ExecArg {
    int id;
    const void *data;
    const dnnl::memory::desc *md = nullptr;
};

// Executes p on the calling thread's stream with a per-thread scratchpad and waits for it.
// An argument whose data is NULL is left out (an optional input the primitive lacks).
void execute(const CachedPrimitive &p, std::initializer_list<ExecArg> args);

}  // namespace gatun
