// Helper threads for short parallel loops in which the calling thread never waits for a
// helper to wake up (see helpers.cpp).
#pragma once

#include <cstdint>

namespace gatun {

// The most threads a share() runs on: the caller and the helpers (OpenMP's thread count).
int share_width();

// Runs body(context, i, worker) for every i in [0, n), each once, on the calling thread and
// on the helper threads that are awake; returns when all have run. `worker` (0 for the
// caller, up to share_width() - 1) names the thread, so that a body can use per-worker
// buffers its caller allocated. Items are handed out one at a time, so a helper that is
// asleep or descheduled simply takes none: the call then costs what the calling thread alone
// costs, never a wake-up on top of it.
//
// If a body throws, no item starts after that, the items already running finish, and the
// first exception is rethrown on the calling thread. A share() called from inside a body
// or an OpenMP region, or while another thread's share() has the helpers, runs its loop on
// the calling thread alone (worker 0).
void share(int64_t n, void (*body)(void *context, int64_t i, int worker), void *context);

template <class Body>
void share(int64_t n, Body &body) {
    share(n,
          [](void *context, int64_t i, int worker) {
              (*static_cast<Body *>(context))(i, worker);
          },
          &body);
}

}  // namespace gatun
