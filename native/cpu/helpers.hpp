// Helper threads for short parallel loops in which the calling thread never waits for a
// helper to wake up (see helpers.cpp).
#pragma once

#include <cstdint>

namespace gatun {

// Runs body(i) for every i in [0, n), each exactly once, on the calling thread and on the
// helper threads that are awake; returns when all n have run. Items are handed out one at a
// time, so a helper that is asleep or descheduled simply takes none: the call then costs
// what the calling thread alone costs, never a wake-up on top of it. body must not throw.
// A body that itself calls share() runs that inner loop on its own thread.
void share(int64_t n, void (*body)(void *context, int64_t i), void *context);

// The most threads a share() runs on: the caller and the helpers (OpenMP's thread count).
int share_width();

template <class Body>
void share(int64_t n, Body &body) {
    share(n, [](void *context, int64_t i) { (*static_cast<Body *>(context))(i); }, &body);
}

}  // namespace gatun
