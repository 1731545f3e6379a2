// Library-wide entry points: ABI version and the per-thread error message.
#include <string>

#include "common.hpp"

namespace gatun {

// Read by gatun_last_error; one per thread so concurrent callers never see each other's.
thread_local std::string last_error;

gatun_status fail(gatun_status status, const std::string &msg) {
    last_error = msg;
    return status;
}

void clear_error() { last_error.clear(); }

}  // namespace gatun

extern "C" {

int32_t gatun_abi_version(void) { return GATUN_ABI_VERSION; }

const char *gatun_last_error(void) { return gatun::last_error.c_str(); }

}
