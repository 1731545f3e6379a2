// gatun_matmul_packed for a few rows of a (up to kFewRows): a hand-written AVX-512 kernel
// over oneDNN's own packed layout, with bias, activation and residual applied in registers.
//
// Why: with a few rows (one sentence of 15 tokens, a decode step) a matmul is mostly a
// stream over the weights. This kernel reads each weight once from memory, with every row
// of a (up to 7 per pass, further passes from L1/L2), and spreads its panels with share(),
// whose caller never waits for a helper thread to wake: on the 2-core Xeon of
// bench/RESULTS.md, oneDNN's matmul behind OpenMP cost 3.1 ms of MiniLM's 4.4 ms per
// sentence, mostly waking OpenMP's second thread 24 times. On warm threads the kernel is
// 10-30% faster than oneDNN's up to 14 rows, level from 15 to 64, and 5-10% slower from 140
// to 560 (MiniLM's shapes); inside MiniLM at 140 rows a batch it still won, since each
// oneDNN call woke OpenMP's thread, hence kFewRows = 256.
//
// The layout: for f32 on AVX-512 CPUs oneDNN packs a [K, N] weight as aCB16b64c, i.e. panels
// of 64 columns, each panel K (padded to 16) rows of 64 contiguous floats, zero-padded past
// N. The kernel runs only where packed_weights_md is exactly that layout (checked once per
// shape), so a oneDNN that packs differently is read by oneDNN, as before.
//
// Its activations are vector_math.hpp's polynomials: absolute error about 1e-6 of GELU and
// SiLU, as oneDNN's fused ones.
#include "few_rows.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "helpers.hpp"
#include "matmul.hpp"
#include "vector_math.hpp"

namespace gatun {

namespace {

constexpr int64_t kPanel = 64;   // columns per panel of the packed layout
constexpr int64_t kKBlock = 16;  // K is padded to a multiple of this
// Rows per kernel call. 7 rows x 4 vectors are 28 accumulators, which with the 4 weight
// vectors and a broadcast make 33 registers: GCC keeps one accumulator on the stack (a load
// and a store per 28 FMAs). 7 lets up to 7 rows take a single pass; 6 was not measured.
constexpr int kTileRows = 7;
// Weight rows a kernel prefetches ahead of the row it multiplies (4 KiB of a panel).
constexpr int64_t kPrefetchRows = 16;

// What one kernel call needs beyond its rows and panel.
struct Epilogue {
    const float *bias;      // [N] or NULL
    int32_t activation;
    const float *residual;  // rows with row stride rs, inner stride 1; or NULL
    int64_t rs;
};

// dst[R rows, the panel's columns] = act(a[R rows] x panel + bias) + residual, the panel
// being k rows of kPanel floats. Only the first `cols` (1 to 64) columns are stored; padding
// columns are computed and dropped. col0 is the first column's index in dst, bias and
// residual.
template <int R>
GATUN_AVX512 void tile(const float *a, int64_t lda, const float *w, int64_t k, int64_t cols,
                       const Epilogue &e, int64_t col0, float *dst, int64_t ldd) {
    constexpr int V = kPanel / 16;
    __m512 acc[R][V];
    for (int r = 0; r < R; r++) {
        for (int v = 0; v < V; v++) {
            acc[r][v] = _mm512_setzero_ps();
        }
    }
    for (int64_t kk = 0; kk < k; kk++) {
        const char *ahead = reinterpret_cast<const char *>(w + (kk + kPrefetchRows) * kPanel);
        for (int v = 0; v < V; v++) {
            _mm_prefetch(ahead + 64 * v, _MM_HINT_T0);
        }
        __m512 wv[V];
        for (int v = 0; v < V; v++) {
            wv[v] = _mm512_loadu_ps(w + kk * kPanel + 16 * v);
        }
        for (int r = 0; r < R; r++) {
            __m512 x = _mm512_set1_ps(a[r * lda + kk]);
            for (int v = 0; v < V; v++) {
                acc[r][v] = _mm512_fmadd_ps(x, wv[v], acc[r][v]);
            }
        }
    }
    for (int v = 0; v < V; v++) {
        if (cols <= 16 * v) {
            break;
        }
        __mmask16 mask = first_lanes(cols - 16 * v);
        int64_t c = col0 + 16 * v;
        __m512 bias = e.bias ? _mm512_maskz_loadu_ps(mask, e.bias + c) : _mm512_setzero_ps();
        for (int r = 0; r < R; r++) {
            __m512 y = activate_ps(e.activation, _mm512_add_ps(acc[r][v], bias));
            if (e.residual) {
                y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(mask, e.residual + r * e.rs + c));
            }
            _mm512_mask_storeu_ps(dst + r * ldd + c, mask, y);
        }
    }
}

using Tile = void (*)(const float *, int64_t, const float *, int64_t, int64_t,
                      const Epilogue &, int64_t, float *, int64_t);

// tile<R> for R = 1 to kTileRows (index R).
template <int... R>
constexpr std::array<Tile, sizeof...(R) + 1> tiles_of(std::integer_sequence<int, R...>) {
    return {nullptr, tile<R + 1>...};
}
constexpr auto kTiles = tiles_of(std::make_integer_sequence<int, kTileRows>());

// All m rows against one panel, in passes of up to kTileRows rows; each pass reads the
// panel in address order, the first from memory, the others from L1/L2 (a panel is 64 x K
// floats: 96 KiB at K = 384, 384 KiB at K = 1536).
GATUN_AVX512 void panel_rows(int64_t m, const float *a, int64_t lda, const float *panel,
                             int64_t k, int64_t cols, const Epilogue &e, int64_t col0,
                             float *dst, int64_t ldd) {
    // passes of near-equal rows: 15 rows run as 5 + 5 + 5, not 7 + 7 + 1
    const int64_t passes = (m + kTileRows - 1) / kTileRows;
    int64_t i = 0;
    for (int64_t pass = 0; pass < passes; pass++) {
        int64_t rows = m / passes + (pass < m % passes ? 1 : 0);
        Epilogue at_rows = e;
        if (e.residual) {
            at_rows.residual = e.residual + i * e.rs;
        }
        kTiles[rows](a + i * lda, lda, panel, k, cols, at_rows, col0, dst + i * ldd, ldd);
        i += rows;
    }
}

// Whether oneDNN packs an f32 [k, n] weight as the panels above; asked of oneDNN once per
// shape, then read under a shared lock (every call asks).
bool packs_as_panels(int64_t k, int64_t n) {
    static std::shared_mutex mutex;
    static std::map<std::pair<int64_t, int64_t>, bool> known;
    {
        std::shared_lock<std::shared_mutex> lock(mutex);
        auto found = known.find({k, n});
        if (found != known.end()) {
            return found->second;
        }
    }
    dnnl::memory::desc panels({1, k, n}, dnnl::memory::data_type::f32,
                              dnnl::memory::format_tag::aCB16b64c);
    bool same = packed_weights_md(GATUN_F32, k, n) == panels;
    std::unique_lock<std::shared_mutex> lock(mutex);
    known.emplace(std::make_pair(k, n), same);
    return same;
}

}  // namespace

bool few_rows_applies(int32_t dtype, int64_t m, int64_t k, int64_t n,
                      const int64_t *a_strides, const int64_t *d_strides,
                      const int64_t *r_strides) {
    return has_avx512() && dtype == GATUN_F32 && m >= 1 && m <= kFewRows &&
           (k == 1 || a_strides[1] == 1) && (n == 1 || d_strides[1] == 1) &&
           (r_strides == nullptr || n == 1 || r_strides[1] == 1) && packs_as_panels(k, n);
}

void few_rows_matmul(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                     const float *packed, const float *bias, int32_t activation,
                     const float *residual, int64_t rs, float *dst, int64_t ldd) {
    const int64_t panels = (n + kPanel - 1) / kPanel;
    const int64_t panel_floats = (k + kKBlock - 1) / kKBlock * kKBlock * kPanel;
    const Epilogue e{bias, activation, residual, rs};
    // one run of adjacent panels per thread, as a static split would give, but claimed
    // through share(), so that a helper that is not awake leaves its run to the caller
    const int64_t chunk = std::max<int64_t>(1, (panels + share_width() - 1) / share_width());
    const int64_t chunks = (panels + chunk - 1) / chunk;
    auto run = [&](int64_t c, int) {
        const int64_t end = std::min(panels, (c + 1) * chunk);
        for (int64_t p = c * chunk; p < end; p++) {
            panel_rows(m, a, lda, packed + p * panel_floats, k,
                       std::min(kPanel, n - p * kPanel), e, p * kPanel, dst, ldd);
        }
    };
    if (m * k * n >= kParallelThreshold) {
        share(chunks, run);
    } else {
        for (int64_t c = 0; c < chunks; c++) {
            run(c, 0);
        }
    }
}

}  // namespace gatun
