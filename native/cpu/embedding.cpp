// gatun_embedding: dst[i, :] = table[ids[i], :], a row gather in a plain OpenMP loop. Every
// id is checked before the first row is written, so a bad id leaves dst untouched.
#include <cstring>

#include "common.hpp"

extern "C" {

gatun_status gatun_embedding(int32_t dtype, int64_t v, int64_t c, const void *table,
                             int64_t table_ld, int64_t n, const int32_t *ids, void *dst,
                             int64_t dst_ld) {
    using namespace gatun;
    return guarded("gatun_embedding", [&] {
        check_float_dtype("dtype", dtype);
        check(v >= 0 && c >= 0 && n >= 0, "V, C and n must be >= 0, got V=", v, " C=", c,
              " n=", n);
        if (n == 0 || c == 0) {
            return;
        }
        check_not_null(table, "table");
        check_not_null(ids, "ids");
        check_not_null(dst, "dst");
        check(v <= 1 || table_ld >= c, "table_ld must be >= C=", c, ", got ", table_ld);
        check(n <= 1 || dst_ld >= c, "dst_ld must be >= C=", c, ", got ", dst_ld);
        for (int64_t i = 0; i < n; i++) {
            check(ids[i] >= 0 && ids[i] < v, "ids[", i, "] must be in [0, V=", v, "), got ",
                  ids[i]);
        }

        const size_t row_bytes = static_cast<size_t>(c * dtype_size(dtype));
        parallel_for(n, n * c >= kParallelThreshold, [&](int64_t i) {
            std::memcpy(at(dst, i * dst_ld, dtype), at(table, ids[i] * table_ld, dtype),
                        row_bytes);
        });
    });
}

}
