// gatun_rope: rotary position embedding as a plain OpenMP loop (oneDNN has no primitive).
//   1. a table of cos and sin of pos[t] * theta^(-2i/D), t in [0, T), i in [0, D/2),
//      computed in double: positions reach 1e5 and more, where a float angle loses digits;
//   2. every row [b, h, t, :] rotates its pairs: interleaved (2i, 2i+1), else (i, i + D/2):
//        y0 = x0 cos - x1 sin,   y1 = x0 sin + x1 cos   (fp32, rounded once to dtype).
// Each pair is read before it is written, so dst may alias src.
#include <cmath>

#include "common.hpp"

extern "C" {

gatun_status gatun_rope(int32_t dtype, int64_t b, int64_t h, int64_t t, int64_t d,
                        const void *src, const int64_t *src_strides, const int32_t *positions,
                        float theta, int32_t interleaved, void *dst,
                        const int64_t *dst_strides) {
    using namespace gatun;
    return guarded("gatun_rope", [&] {
        check_float_dtype("dtype", dtype);
        check(b >= 0 && h >= 0 && t >= 0 && d >= 0, "B, H, T and D must be >= 0, got B=", b,
              " H=", h, " T=", t, " D=", d);
        check(d % 2 == 0, "D must be even, got ", d);
        check(theta > 0.f, "theta must be > 0, got ", theta);
        if (b == 0 || h == 0 || t == 0 || d == 0) {
            return;
        }
        check_not_null(src, "src");
        check_not_null(dst, "dst");
        check_not_null(positions, "positions");
        const int64_t dims[4] = {b, h, t, d};
        check_strides(src_strides, 4, "src_strides");
        check_dst_strides(dst_strides, dims, 4, "dst_strides");

        // 1. cos and sin table [T, D/2]
        const int64_t half = d / 2;
        Buffer table(static_cast<size_t>(2 * t * half) * sizeof(float));
        float *cos_table = table.as<float>();
        float *sin_table = cos_table + t * half;
        parallel_for(t, t * half >= kParallelThreshold / 16, [&](int64_t ti) {
            for (int64_t i = 0; i < half; i++) {
                double frequency = std::pow(static_cast<double>(theta),
                                            -2.0 * static_cast<double>(i) / d);
                double angle = positions[ti] * frequency;
                cos_table[ti * half + i] = static_cast<float>(std::cos(angle));
                sin_table[ti * half + i] = static_cast<float>(std::sin(angle));
            }
        });

        // 2. rotate every row's pairs
        const int64_t *ss = src_strides, *ds = dst_strides;
        const int64_t pair_step = interleaved ? 1 : half;  // index of x1 from x0
        const int64_t x0_step = interleaved ? 2 : 1;       // index of x0 from the last x0
        with_dtype(dtype, [&](auto tag) {
            using T = decltype(tag);
            const T *x = static_cast<const T *>(src);
            T *y = static_cast<T *>(dst);
            parallel_for(b * h * t, b * h * t * d >= kParallelThreshold, [&](int64_t row) {
                const int64_t bi = row / (h * t), hi = row / t % h, ti = row % t;
                const T *xr = x + bi * ss[0] + hi * ss[1] + ti * ss[2];
                T *yr = y + bi * ds[0] + hi * ds[1] + ti * ds[2];
                const float *c = cos_table + ti * half;
                const float *s = sin_table + ti * half;
                for (int64_t i = 0; i < half; i++) {
                    const int64_t j0 = i * x0_step, j1 = j0 + pair_step;
                    const float x0 = to_float(xr[j0 * ss[3]]);
                    const float x1 = to_float(xr[j1 * ss[3]]);
                    yr[j0 * ds[3]] = from_float<T>(x0 * c[i] - x1 * s[i]);
                    yr[j1 * ds[3]] = from_float<T>(x0 * s[i] + x1 * c[i]);
                }
            });
        });
    });
}

}
