// Shared plumbing of the CPU backend: error reporting, dtype helpers, the oneDNN engine and
// stream, and the primitive cache.
#pragma once

#include <cstdint>
#include <string>

#include "gatun.h"

namespace gatun {

// Records msg as this thread's last error and returns status; entry points end with
// `return fail(GATUN_ERR_..., "gatun_x: rule, values")`.
gatun_status fail(gatun_status status, const std::string &msg);

// Clears the thread's last error; every entry point calls it first.
void clear_error();

}  // namespace gatun
