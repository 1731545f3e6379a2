// AVX-512 versions of exp and of the activations, for the hand-written kernels
// (few_rows.cpp, attention.cpp). Callers compile them through functions marked GATUN_AVX512
// and run those only where the CPU has AVX-512F; the rest of the library targets x86-64-v3.
#pragma once

#include <algorithm>

#include "common.hpp"

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_ps(), which its own
// -Wmaybe-uninitialized then reports at every inlined use (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace gatun {

#define GATUN_AVX512 __attribute__((target("avx512f")))

// Whether this CPU runs GATUN_AVX512 code.
inline bool has_avx512() {
    static const bool yes = __builtin_cpu_supports("avx512f");
    return yes;
}

// e^x by 2^n e^r with |r| <= ln2 / 2 and a degree-6 polynomial for e^r (relative error
// about 2e-7); scalef makes 2^n without bit tricks. x is clamped to [-104, 89], where e^x
// runs from 0 (after rounding) to past float's largest (scalef then gives +inf), so -inf
// gives 0 (not the NaN of -inf - -inf), +inf gives +inf, and NaN stays NaN (min and max
// return their second operand then).
GATUN_AVX512 inline __m512 exp_ps(__m512 x) {
    x = _mm512_min_ps(_mm512_set1_ps(89.f), x);
    x = _mm512_max_ps(_mm512_set1_ps(-104.f), x);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // r = x - n ln2, with ln2 split in two so that n * hi is exact
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.f / 720);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
    return _mm512_scalef_ps(p, n);
}

// x / (1 + e^-y): SiLU is y = x, tanh-GELU is y = 2u (since 1 + tanh(u) = 2 sigmoid(2u)).
GATUN_AVX512 inline __m512 times_sigmoid(__m512 x, __m512 y) {
    __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), y));
    return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.f), e));
}

// 0.5 x (1 + erf(x / sqrt 2)), erf by Abramowitz-Stegun 7.1.26 (absolute error 1.5e-7) on
// |z| and its sign put back.
GATUN_AVX512 inline __m512 gelu_erf_ps(__m512 x) {
    __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f));
    __m512 az = _mm512_abs_ps(z);
    __m512 t = _mm512_div_ps(_mm512_set1_ps(1.f),
                             _mm512_fmadd_ps(az, _mm512_set1_ps(0.3275911f), _mm512_set1_ps(1.f)));
    __m512 p = _mm512_set1_ps(1.061405429f);
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.453152027f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.421413741f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.284496736f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.254829592f));
    p = _mm512_mul_ps(p, t);
    __m512 e = exp_ps(_mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), az), az));
    __m512 erf_abs = _mm512_fnmadd_ps(p, e, _mm512_set1_ps(1.f));
    // erf is odd: copy z's sign bit onto erf(|z|)
    __m512 sign = _mm512_castsi512_ps(
            _mm512_and_si512(_mm512_castps_si512(z), _mm512_set1_epi32(INT32_MIN)));
    __m512 erf = _mm512_castsi512_ps(
            _mm512_or_si512(_mm512_castps_si512(erf_abs), _mm512_castps_si512(sign)));
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x),
                         _mm512_add_ps(_mm512_set1_ps(1.f), erf));
}

GATUN_AVX512 inline __m512 activate_ps(int32_t activation, __m512 x) {
    switch (activation) {
        case GATUN_ACT_GELU_ERF: return gelu_erf_ps(x);
        case GATUN_ACT_GELU_TANH: {
            __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
            __m512 u = _mm512_mul_ps(_mm512_set1_ps(0.79788456080286536f),
                                     _mm512_fmadd_ps(x3, _mm512_set1_ps(0.044715f), x));
            return times_sigmoid(x, _mm512_add_ps(u, u));
        }
        case GATUN_ACT_SILU: return times_sigmoid(x, x);
        default: return x;
    }
}

// The sum and the maximum of the 16 lanes.
GATUN_AVX512 inline float sum_ps(__m512 x) { return _mm512_reduce_add_ps(x); }
GATUN_AVX512 inline float max_ps(__m512 x) { return _mm512_reduce_max_ps(x); }

// The mask of the first `lanes` (0 to 16) lanes.
inline __mmask16 first_lanes(int64_t lanes) {
    return static_cast<__mmask16>((1u << std::clamp<int64_t>(lanes, 0, 16)) - 1);
}

}  // namespace gatun
