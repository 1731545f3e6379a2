// The primitive cache (see primitive_cache.hpp): a map from key to primitive, guarded by one
// mutex, that keeps the kCapacity most recently used entries; and gatun_cache_stats.
#include "primitive_cache.hpp"

#include <atomic>
#include <list>
#include <mutex>
#include <unordered_map>

namespace gatun {

size_t CacheKey::hash() const noexcept {
    // FNV-1a over the values' bytes.
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < size_; i++) {
        uint64_t v = static_cast<uint64_t>(values_[i]);
        for (int b = 0; b < 8; b++) {
            h ^= (v >> (8 * b)) & 0xFF;
            h *= 1099511628211ull;
        }
    }
    return static_cast<size_t>(h);
}

namespace {

struct KeyHash {
    size_t operator()(const CacheKey &k) const noexcept { return k.hash(); }
};

// Shapes that change every call (a KV cache growing by one token) would otherwise grow the
// cache without bound; 1024 primitives cover every shape of a model's forward many times over.
constexpr size_t kCapacity = 1024;

struct Entry {
    std::shared_ptr<const CachedPrimitive> primitive;
    std::list<CacheKey>::iterator lru_position;
};

std::mutex cache_mutex;
std::unordered_map<CacheKey, Entry, KeyHash> cache;
std::list<CacheKey> lru;  // most recently used first
std::atomic<int64_t> created{0};
std::atomic<int64_t> hits{0};

}  // namespace

dnnl::primitive_attr scratchpad_attr() {
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    return attr;
}

CachedPrimitive make_cached(const dnnl::primitive_desc_base &pd, dnnl::primitive primitive,
                            const std::vector<int> &arg_ids) {
    CachedPrimitive p;
    p.primitive = std::move(primitive);
    for (int id : arg_ids) {
        p.args.emplace_back(id, pd.query_md(dnnl::query::exec_arg_md, id));
    }
    p.scratchpad = pd.scratchpad_desc();
    p.scratchpad_bytes = p.scratchpad.get_size();
    return p;
}

std::shared_ptr<const CachedPrimitive> cache_get(const CacheKey &key, CacheBuilder build,
                                                 const void *context) {
    // Building under the lock keeps "created once per key" exact when threads race; it only
    // serialises first calls, which JIT-compile for far longer than they wait.
    std::lock_guard<std::mutex> lock(cache_mutex);
    auto found = cache.find(key);
    if (found != cache.end()) {
        lru.splice(lru.begin(), lru, found->second.lru_position);
        hits.fetch_add(1, std::memory_order_relaxed);
        return found->second.primitive;
    }
    auto primitive = std::make_shared<const CachedPrimitive>(build(context));
    lru.push_front(key);
    cache.emplace(key, Entry{primitive, lru.begin()});
    created.fetch_add(1, std::memory_order_relaxed);
    if (cache.size() > kCapacity) {
        // Callers still executing the evicted primitive hold their own shared_ptr.
        cache.erase(lru.back());
        lru.pop_back();
    }
    return primitive;
}

void execute(const CachedPrimitive &p, std::initializer_list<ExecArg> args) {
    const dnnl::engine &engine = cpu_engine();
    std::unordered_map<int, dnnl::memory> memories;
    for (const ExecArg &arg : args) {
        if (arg.data == nullptr) {
            continue;
        }
        const dnnl::memory::desc *md = arg.md;
        for (const auto &known : p.args) {
            if (md == nullptr && known.first == arg.id) {
                md = &known.second;
            }
        }
        if (md == nullptr) {
            throw Failure{GATUN_ERR_INTERNAL,
                          concat("execution argument ", arg.id, " was not recorded")};
        }
        memories.emplace(arg.id, dnnl::memory(*md, engine, const_cast<void *>(arg.data)));
    }
    if (p.scratchpad_bytes > 0) {
        void *pad = thread_scratch(kOneDnnScratchpad, p.scratchpad_bytes);
        memories.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(p.scratchpad, engine, pad));
    }
    dnnl::stream &stream = thread_stream();
    p.primitive.execute(stream, memories);
    stream.wait();
}

}  // namespace gatun

extern "C" {

gatun_status gatun_cache_stats(int64_t *created_out, int64_t *hits_out) {
    return gatun::guarded("gatun_cache_stats", [&] {
        if (created_out != nullptr) {
            *created_out = gatun::created.load(std::memory_order_relaxed);
        }
        if (hits_out != nullptr) {
            *hits_out = gatun::hits.load(std::memory_order_relaxed);
        }
    });
}

}
