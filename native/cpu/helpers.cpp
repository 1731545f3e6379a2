// share(): a loop spread over the calling thread and helper threads that claim items one at
// a time.
//
// Why not OpenMP here: an OpenMP loop splits its items among the team up front, so the
// calling thread waits at the end for every member, and a member that had gone to sleep
// (libgomp sleeps after GOMP_SPINCOUNT spins) costs its wake-up on every call: 20 to 50 us
// on the virtual machines of bench/RESULTS.md, as long as a whole 15-row matmul. Spinning
// longer fixes that only while the machine is otherwise idle; beside another busy process
// the spinning team starved the caller (MiniLM latency 9 ms instead of 3.5). Here the caller
// starts on the items at once and helpers join as they wake, so a sleeping or descheduled
// helper costs nothing but its share of the speed-up.
//
// The protocol. One job at a time: the caller that wins `owner` publishes a job as a
// 64-bit ticket (generation | item count | next item) and claims items by compare-and-swap
// on it; helpers do the same. A claim succeeds only while the ticket still carries the
// generation the claimer read, so a helper that wakes late can never take an item of a
// later job. The job's body lives in one of two slots chosen by the generation's parity:
// the caller waits until every claimed item is done before it returns, so a slot is only
// rewritten two jobs later, after all claims on it have completed. A body that throws
// cancels the job (its `next` jumps to the count, the items skipped are recorded so that the
// caller knows what it waits for); the caller rethrows the first exception once the claimed
// items are done. Callers that find the helpers taken (another thread's job, or a share()
// inside a body or an OpenMP region) run their loop alone.
//
// Helpers spin on the ticket for kSpin after their last item, then sleep on a futex
// (std::atomic::wait) until a job is published with sleepers present. They hold no memory
// between items: bodies get per-worker buffers from their caller, not thread-local scratch,
// so an idle library keeps nothing on threads that never end.
#include "helpers.hpp"

#include <immintrin.h>
#include <omp.h>

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

namespace gatun {

namespace {

using Clock = std::chrono::steady_clock;

// How long a helper keeps spinning after its last item: longer than the gaps between the
// matmuls of one forward pass (so it stays awake through one), short enough that an idle
// library gives its core back within a fraction of a millisecond.
constexpr auto kSpin = std::chrono::microseconds(200);

constexpr int kGenerationBits = 24, kCountBits = 20;
constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;
// Items per job: the most the ticket's count field holds; larger loops are cut into jobs.
constexpr int64_t kMaxItems = static_cast<int64_t>(kCountMask);
// Pauses a caller spins on helpers' claimed items before it starts yielding its core (a
// helper the host has descheduled may need it).
constexpr int kWaitSpins = 4096;

uint64_t ticket_of(uint64_t generation, uint64_t count, uint64_t next) {
    return generation << (2 * kCountBits) | count << kCountBits | next;
}
uint64_t generation_of(uint64_t t) { return t >> (2 * kCountBits); }
uint64_t count_of(uint64_t t) { return t >> kCountBits & kCountMask; }
uint64_t next_of(uint64_t t) { return t & kCountMask; }

// A job's body; item i of the job runs body(context, offset + i, worker).
struct alignas(64) Slot {
    void (*body)(void *, int64_t, int) = nullptr;
    void *context = nullptr;
    int64_t offset = 0;
    std::atomic<int64_t> done{0};     // items run by helpers
    std::atomic<int64_t> skipped{0};  // items a cancellation left unclaimed
    std::atomic<bool> failed{false};
    std::exception_ptr error;         // the first exception, set by whoever set `failed`
};

class Helpers {
public:
    Helpers() {
        count_ = std::max(0, omp_get_max_threads() - 1);
        for (int i = 0; i < count_; i++) {
            // detached: they live as long as the process (the library is never unloaded)
            std::thread([this, i] { help(i + 1); }).detach();
        }
    }

    int width() const { return count_ + 1; }

    void run(int64_t n, void (*body)(void *, int64_t, int), void *context) {
        if (count_ == 0 || n < 2 || omp_in_parallel() ||
            owner_.exchange(true, std::memory_order_acquire)) {
            for (int64_t i = 0; i < n; i++) {
                body(context, i, 0);
            }
            return;
        }
        std::exception_ptr error;
        for (int64_t start = 0; start < n && !error; start += kMaxItems) {
            error = run_job(std::min(kMaxItems, n - start), body, context, start);
        }
        owner_.store(false, std::memory_order_release);
        if (error) {
            std::rethrow_exception(error);
        }
    }

private:
    // Items [start, start + n) of the caller's loop as one job; returns its first exception.
    std::exception_ptr run_job(int64_t n, void (*body)(void *, int64_t, int), void *context,
                               int64_t start) {
        generation_ = (generation_ + 1) & ((uint64_t{1} << kGenerationBits) - 1);
        Slot &slot = slots_[generation_ & 1];
        slot.body = body;
        slot.context = context;
        slot.offset = start;
        slot.done.store(0, std::memory_order_relaxed);
        slot.skipped.store(0, std::memory_order_relaxed);
        slot.failed.store(false, std::memory_order_relaxed);
        slot.error = nullptr;
        ticket_.store(ticket_of(generation_, static_cast<uint64_t>(n), 0));
        if (sleepers_.load() > 0) {
            wake_.fetch_add(1);
            wake_.notify_all();
        }
        int64_t mine = work(generation_, 0);
        // the others' items: only those already claimed, so never a wake-up
        for (int spins = 0; slot.done.load(std::memory_order_acquire) + mine +
                                    slot.skipped.load(std::memory_order_acquire) < n;
             spins++) {
            if (spins < kWaitSpins) {
                _mm_pause();
            } else {
                std::this_thread::yield();
            }
        }
        return slot.error;
    }

    // Claims and runs items of `generation` until none is left; returns how many it ran.
    int64_t work(uint64_t generation, int worker) {
        Slot &slot = slots_[generation & 1];
        int64_t ran = 0;
        uint64_t t = ticket_.load(std::memory_order_acquire);
        while (generation_of(t) == generation && next_of(t) < count_of(t)) {
            if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel)) {
                continue;  // t now holds the current ticket
            }
            try {
                slot.body(slot.context, slot.offset + static_cast<int64_t>(next_of(t)),
                          worker);
            } catch (...) {
                if (!slot.failed.exchange(true)) {
                    slot.error = std::current_exception();
                }
                cancel(generation, slot);
            }
            ran++;
            t = ticket_.load(std::memory_order_acquire);
        }
        return ran;
    }

    // Lets no further item of `generation` start, recording how many were left unclaimed.
    void cancel(uint64_t generation, Slot &slot) {
        uint64_t t = ticket_.load(std::memory_order_acquire);
        while (generation_of(t) == generation && next_of(t) < count_of(t)) {
            if (ticket_.compare_exchange_weak(
                        t, ticket_of(generation, count_of(t), count_of(t)),
                        std::memory_order_acq_rel)) {
                slot.skipped.fetch_add(static_cast<int64_t>(count_of(t) - next_of(t)),
                                       std::memory_order_release);
                return;
            }
        }
    }

    [[noreturn]] void help(int worker) {
        // Run where the process may run: a helper created by a thread that an application
        // or OMP_PROC_BIND pinned to one core would otherwise share that core with it.
        cpu_set_t cpus;
        if (sched_getaffinity(getpid(), sizeof cpus, &cpus) == 0) {
            pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);
        }
        uint64_t seen = 0;
        for (;;) {
            auto spin_until = Clock::now() + kSpin;
            uint64_t t = ticket_.load(std::memory_order_acquire);
            for (int spins = 0; !has_work(t, seen); spins++) {
                _mm_pause();
                if ((spins & 63) == 63 && Clock::now() > spin_until) {
                    sleep(seen);
                    spin_until = Clock::now() + kSpin;
                }
                t = ticket_.load(std::memory_order_acquire);
            }
            seen = generation_of(t);
            Slot &slot = slots_[seen & 1];
            int64_t ran = work(seen, worker);
            if (ran > 0) {
                slot.done.fetch_add(ran, std::memory_order_release);
            }
        }
    }

    // A job this helper has not worked on yet, with items left.
    static bool has_work(uint64_t t, uint64_t seen) {
        return generation_of(t) != seen && next_of(t) < count_of(t);
    }

    void sleep(uint64_t seen) {
        sleepers_.fetch_add(1);
        uint32_t wake = wake_.load();
        // a job published before sleepers_ counted this helper is seen here; one published
        // after it bumps wake_, which ends the wait
        if (!has_work(ticket_.load(), seen)) {
            wake_.wait(wake);
        }
        sleepers_.fetch_sub(1);
    }

    int count_ = 0;
    uint64_t generation_ = 0;  // the owner's; helpers read generations off the ticket
    alignas(64) std::atomic<bool> owner_{false};
    alignas(64) std::atomic<uint64_t> ticket_{0};
    Slot slots_[2];
    alignas(64) std::atomic<int> sleepers_{0};
    std::atomic<uint32_t> wake_{0};
};

Helpers &helpers() {
    static Helpers *helpers = new Helpers();  // never destroyed: helpers run until exit
    return *helpers;
}

}  // namespace

int share_width() { return helpers().width(); }

void share(int64_t n, void (*body)(void *, int64_t, int), void *context) {
    helpers().run(n, body, context);
}

}  // namespace gatun
