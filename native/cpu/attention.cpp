// gatun_attention: dst = softmax(scale q k^T + mask) v per batch and query head, with
// grouped-query attention (query head h reads key/value head h / G, G = H / Hkv).
//
// Short f32 sequences on AVX-512 CPUs (Tq·Tk·D up to kLoopWork, Tk and D up to 128: a
// sentence, a decoding step over a short cache) take small_heads() first: one function per
// head with the scores in registers (see "small heads" below). Everything else:
//
// When the scores of the whole call fit kBatchedScoreBytes, the call is big enough
// (kBatchedMinWork) and is not decoding (Tq > kRuntimeTkRows), steps 1 to 5 below run once
// for the whole call instead
// (attention_batched): oneDNN matmuls over [B, Hkv, G] as batch dimensions and one softmax
// over all rows, three executions in all, each spread over every thread. For MiniLM at
// batch 32 (B·H = 384 heads of 39 tokens) that took 1.1 ms where the items took 3.6 ms.
//
// Otherwise the work is split into items (b, key/value head g, block of query rows); each
// item takes the G query heads that share head g together:
//   1. S = q k^T       one oneDNN matmul: q [G, rows, D] x k^T [1, D, Tk] -> f32 [G, rows, Tk]
//   2. mask            S = scale S + mask; keys at or past key_lengths[b], and with causal
//                      the keys past i + Tk - Tq, become -inf
//   3. P = softmax(S)  oneDNN softmax; a row whose every key is masked becomes zeros
//   4. weights         P copied to weights[b, h, i, :] when asked
//   5. dst = P v       one oneDNN matmul: P [G, rows, Tk] x v [1, Tk, D] -> dst [G, rows, D]
// S lives in per-thread scratch; blocks of query rows keep it near 1 MiB. Items run in
// parallel, one per OpenMP thread (oneDNN then runs single-threaded inside each); with fewer
// items than threads they run in turn and oneDNN parallelises inside each.
// P is rounded to dtype before step 5 (bf16 P x bf16 v), as fused attention kernels do.
// Small items (rows x Tk x D up to kLoopWork) compute steps 1 and 5 as plain loops instead,
// with P kept in f32: a oneDNN execution costs a few microseconds whatever its size, which
// made MiniLM's attention (12 heads of 16 to 50 tokens, D = 32) cost ten times its
// arithmetic.
// F16 without oneDNN support (no AVX512-FP16) converts q, k and v to f32 copies and
// converts the f32 result.
//
// gatun_attention_ragged runs many short sequences laid end to end (a ragged batch) in one
// call: each sequence is a B = 1 problem on views, and those small_head takes share one
// share() over (sequence, head) items (see ragged() below).
#include <algorithm>
#include <initializer_list>
#include <memory>
#include <vector>

#include "helpers.hpp"
#include "matmul.hpp"
#include "softmax.hpp"
#include "vector_math.hpp"

namespace gatun {

namespace {

constexpr int64_t kScratchFloats = 1 << 18;

struct Attention {
    int32_t dtype;
    int64_t b, h, hkv, tq, tk, d;
    const void *q;
    const int64_t *qs;
    const void *k;
    const int64_t *ks;
    const void *v;
    const int64_t *vs;
    float scale;
    bool causal;
    const float *mask;
    const int64_t *ms;
    const int32_t *key_lengths;
    void *dst;
    const int64_t *ds;
    float *weights;
};

// How the query rows of one (b, g) are cut into blocks.
struct Blocking {
    int64_t group, rows, blocks;
};

// Blocks of at most this many query rows (decoding) build their matmuls with Tk as a
// runtime dimension: one primitive then serves every KV cache length, where a fixed Tk
// would JIT-compile two matmuls (~0.5 ms each) per generated token. oneDNN runs those on
// its gemm kernels, as fast as brgemm for so few rows, but slower for many.
constexpr int64_t kRuntimeTkRows = 8;

enum class Product { kScores, kOutput };  // q k^T and P v

// The most rows x Tk x D of one head that step 1 and 5 compute as loops (see the top).
constexpr int64_t kLoopWork = 1 << 16;

// Step 1 as loops: S[gi, r, :] = q[h0 + gi, i0 + r, :] k^T for the G heads of an item.
// k is transposed into f32 scratch first so that the inner loop runs along keys, over
// contiguous memory in both operands (the compiler vectorises it without reassociating).
template <class T>
void scores_by_loops(const Attention &a, int64_t bi, int64_t g, int64_t h0, int64_t G,
                     int64_t i0, int64_t rows, float *s) {
    const T *q = static_cast<const T *>(a.q);
    const T *k = static_cast<const T *>(a.k) + bi * a.ks[0] + g * a.ks[1];
    float *kt = thread_scratch<float>(kScratchC, static_cast<size_t>(a.d * a.tk));
    for (int64_t j = 0; j < a.tk; j++) {
        for (int64_t c = 0; c < a.d; c++) {
            kt[c * a.tk + j] = to_float(k[j * a.ks[2] + c]);
        }
    }
    for (int64_t gi = 0; gi < G; gi++) {
        for (int64_t r = 0; r < rows; r++) {
            const T *qrow = q + bi * a.qs[0] + (h0 + gi) * a.qs[1] + (i0 + r) * a.qs[2];
            float *srow = s + (gi * rows + r) * a.tk;
            std::fill(srow, srow + a.tk, 0.f);
            for (int64_t c = 0; c < a.d; c++) {
                const float qc = to_float(qrow[c]);
                const float *ktc = kt + c * a.tk;
                for (int64_t j = 0; j < a.tk; j++) {
                    srow[j] += qc * ktc[j];
                }
            }
        }
    }
}

// Step 5 as loops: dst[h0 + gi, i0 + r, :] = P[gi, r, :] v, P in f32.
template <class T>
void output_by_loops(const Attention &a, int64_t bi, int64_t g, int64_t h0, int64_t G,
                     int64_t i0, int64_t rows, const float *p) {
    const T *v = static_cast<const T *>(a.v) + bi * a.vs[0] + g * a.vs[1];
    T *dst = static_cast<T *>(a.dst);
    float *acc = thread_scratch<float>(kScratchC, static_cast<size_t>(a.d));
    for (int64_t gi = 0; gi < G; gi++) {
        for (int64_t r = 0; r < rows; r++) {
            const float *prow = p + (gi * rows + r) * a.tk;
            std::fill(acc, acc + a.d, 0.f);
            for (int64_t j = 0; j < a.tk; j++) {
                const float pj = prow[j];
                if (pj == 0.f) {
                    continue;  // a masked key
                }
                const T *vrow = v + j * a.vs[2];
                for (int64_t c = 0; c < a.d; c++) {
                    acc[c] += pj * to_float(vrow[c]);
                }
            }
            T *out = dst + bi * a.ds[0] + (h0 + gi) * a.ds[1] + (i0 + r) * a.ds[2];
            for (int64_t c = 0; c < a.d; c++) {
                out[c] = from_float<T>(acc[c]);
            }
        }
    }
}

// The spec to build the primitive of a q k^T or P v spec from: itself, or for a block of few
// rows the same with Tk (and the strides that follow from it) left to run time.
MatmulSpec runtime_tk(MatmulSpec spec, Product product, int64_t rows) {
    if (rows > kRuntimeTkRows) {
        return spec;
    }
    const int64_t r = kRuntimeDim;
    if (product == Product::kScores) {
        // k^T [1, D, Tk], S [G, rows, Tk] dense
        spec.wei = {1, spec.wei.rows, r, r, spec.wei.row_stride, spec.wei.col_stride};
        spec.dst = {spec.dst.batch, spec.dst.rows, r, r, r, 1};
    } else {
        // P [G, rows, Tk] dense, v [1, Tk, D]
        spec.src = {spec.src.batch, spec.src.rows, r, r, r, 1};
        spec.wei = {1, r, spec.wei.cols, r, spec.wei.row_stride, spec.wei.col_stride};
    }
    return spec;
}

// Step 2 for one row of scores, query i of head `head` in batch bi: row = scale row + mask,
// with -inf at keys past key_lengths[bi] and, when causal, past i + Tk - Tq. Returns whether
// every key of the row is masked.
bool mask_row(const Attention &a, int64_t bi, int64_t head, int64_t i, float *row) {
    const int64_t length = a.key_lengths ? a.key_lengths[bi] : a.tk;
    int64_t visible = std::min(a.tk, length);
    if (a.causal) {
        visible = std::min(visible, i + a.tk - a.tq + 1);
    }
    visible = std::max<int64_t>(visible, 0);
    const float *m = a.mask ? a.mask + bi * a.ms[0] + head * a.ms[1] + i * a.ms[2] : nullptr;
    int64_t neg_inf = 0;
    for (int64_t j = 0; j < visible; j++) {
        float x = a.scale * row[j] + (m ? m[j * a.ms[3]] : 0.f);
        row[j] = x;
        neg_inf += x == kNegInf;
    }
    std::fill(row + visible, row + a.tk, kNegInf);
    return neg_inf == visible;
}

void attention_item(const Attention &a, const Blocking &bl, int64_t item) {
    const int32_t dt = a.dtype;
    const int64_t G = bl.group;
    const int64_t bi = item / (a.hkv * bl.blocks);
    const int64_t g = item / bl.blocks % a.hkv;
    const int64_t i0 = item % bl.blocks * bl.rows;
    const int64_t rows = std::min(bl.rows, a.tq - i0);
    const int64_t h0 = g * G;
    const int64_t n_rows = G * rows;
    const size_t n_scores = static_cast<size_t>(n_rows * a.tk);
    float *s = thread_scratch<float>(kScratchA, n_scores);
    uint8_t *masked = thread_scratch<uint8_t>(kScratchB, static_cast<size_t>(n_rows));

    const bool loops = rows * a.tk * a.d <= kLoopWork;

    // 1. S = q k^T
    if (a.d > 0 && loops) {
        with_dtype(dt, [&](auto tag) {
            scores_by_loops<decltype(tag)>(a, bi, g, h0, G, i0, rows, s);
        });
    } else if (a.d > 0) {
        MatmulSpec qk{dt, dt, GATUN_F32,
                      {G, rows, a.d, a.qs[1], a.qs[2], a.qs[3]},
                      {1, a.d, a.tk, 0, a.ks[3], a.ks[2]},
                      dense_matrix(G, rows, a.tk),
                      false, GATUN_ACT_NONE, false, 1};
        const void *q = at(a.q, bi * a.qs[0] + h0 * a.qs[1] + i0 * a.qs[2], dt);
        const void *k = at(a.k, bi * a.ks[0] + g * a.ks[1], dt);
        auto qk_primitive = matmul_primitive(runtime_tk(qk, Product::kScores, rows));
        run_matmul(*qk_primitive, qk, q, k, nullptr, nullptr, s);
    } else {
        std::fill(s, s + n_scores, 0.f);
    }

    // 2. mask
    parallel_for(n_rows, static_cast<int64_t>(n_scores) >= kParallelThreshold, [&](int64_t r) {
        masked[r] = mask_row(a, bi, h0 + r / rows, i0 + r % rows, s + r * a.tk);
    });

    // 3. P = softmax(S), in place in f32 when f32 is what steps 4 and 5 need
    void *p = s;
    if (dt == GATUN_F32 || a.weights || loops) {
        softmax_rows(n_rows, a.tk, s, masked, GATUN_F32, s, a.tk);
    } else {
        p = thread_scratch(kScratchC, n_scores * dtype_size(dt));
        softmax_rows(n_rows, a.tk, s, masked, dt, p, a.tk);
    }

    // 4. weights
    if (a.weights) {
        for (int64_t r = 0; r < n_rows; r++) {
            const int64_t head = h0 + r / rows;
            const int64_t i = i0 + r % rows;
            float *w = a.weights + ((bi * a.h + head) * a.tq + i) * a.tk;
            std::copy(s + r * a.tk, s + (r + 1) * a.tk, w);
        }
        if (dt != GATUN_F32 && !loops) {
            p = thread_scratch(kScratchC, n_scores * dtype_size(dt));
            const int64_t dims[1] = {static_cast<int64_t>(n_scores)};
            const int64_t unit[1] = {1};
            copy_strided(1, dims, GATUN_F32, s, unit, dt, p, unit);
        }
    }

    // 5. dst = P v
    if (a.d > 0 && loops) {
        with_dtype(dt, [&](auto tag) {
            output_by_loops<decltype(tag)>(a, bi, g, h0, G, i0, rows, s);
        });
    } else if (a.d > 0) {
        MatmulSpec pv{dt, dt, dt,
                      dense_matrix(G, rows, a.tk),
                      {1, a.tk, a.d, 0, a.vs[2], a.vs[3]},
                      {G, rows, a.d, a.ds[1], a.ds[2], a.ds[3]},
                      false, GATUN_ACT_NONE, false, 1};
        const void *v = at(a.v, bi * a.vs[0] + g * a.vs[1], dt);
        void *dst = at(a.dst, bi * a.ds[0] + h0 * a.ds[1] + i0 * a.ds[2], dt);
        auto pv_primitive = matmul_primitive(runtime_tk(pv, Product::kOutput, rows));
        run_matmul(*pv_primitive, pv, p, v, nullptr, nullptr, dst);
    }
}

// ---- small heads, f32, AVX-512 ----------------------------------------------------------------
//
// A head of a sentence (MiniLM: 15 tokens, D = 32) is a few thousand multiply-adds, less than
// one oneDNN execution costs; the items above still spent ~5 us per head on the softmax
// primitive and on loops the compiler vectorised poorly at Tk = 15. Here one function runs
// a whole (batch, query head) with its scores in registers: per query row, the scores by
// FMAs along the keys, the mask (mask_row, as everywhere), a softmax with exp_ps, and P v.

// The most Tk and D the kernel takes (scores and output rows live in kMaxVectors registers).
constexpr int64_t kMaxVectors = 8;
constexpr int64_t kSmallMaxTk = 16 * kMaxVectors;
constexpr int64_t kSmallMaxD = 16 * kMaxVectors;
// Below this much B·H·Tq·Tk·D the heads run on the calling thread: waking the OpenMP team
// costs more than the arithmetic.
constexpr int64_t kSmallSerialWork = 1 << 18;

bool small_heads_apply(const Attention &a) {
    return has_avx512() && a.dtype == GATUN_F32 && a.d >= 1 && a.tk <= kSmallMaxTk &&
           a.d <= kSmallMaxD && a.tq * a.tk * a.d <= kLoopWork;
}

// Query rows are taken R at a time so that the FMAs form R independent chains (one chain
// stalls on FMA latency); R x vectors accumulators stay within the 32 registers.
constexpr int rows_for(int vectors) { return vectors <= 4 ? 4 : 2; }

// Scores of R query rows (row stride qld) against k^T (d rows of TV vectors, stride ld).
template <int TV, int R>
GATUN_AVX512 void scores_tile(const float *q, int64_t qld, const float *kt, int64_t ld,
                              int64_t d, float *scores) {
    __m512 acc[R][TV];
    for (int r = 0; r < R; r++) {
        for (int t = 0; t < TV; t++) {
            acc[r][t] = _mm512_setzero_ps();
        }
    }
    for (int64_t c = 0; c < d; c++) {
        __m512 ktc[TV];
        for (int t = 0; t < TV; t++) {
            ktc[t] = _mm512_load_ps(kt + c * ld + 16 * t);
        }
        for (int r = 0; r < R; r++) {
            __m512 x = _mm512_set1_ps(q[r * qld + c]);
            for (int t = 0; t < TV; t++) {
                acc[r][t] = _mm512_fmadd_ps(x, ktc[t], acc[r][t]);
            }
        }
    }
    for (int r = 0; r < R; r++) {
        for (int t = 0; t < TV; t++) {
            _mm512_store_ps(scores + r * ld + 16 * t, acc[r][t]);
        }
    }
}

// dst rows = P v for R rows of P (stride ld, Tk = tk) and v rows of d floats (stride vld).
template <int DV, int R>
GATUN_AVX512 void output_tile(const float *p, int64_t ld, int64_t tk, const float *v,
                              int64_t vld, int64_t d, float *dst, int64_t dld) {
    __m512 acc[R][DV];
    for (int r = 0; r < R; r++) {
        for (int u = 0; u < DV; u++) {
            acc[r][u] = _mm512_setzero_ps();
        }
    }
    for (int64_t j = 0; j < tk; j++) {
        __m512 vj[DV];
        for (int u = 0; u < DV; u++) {
            vj[u] = _mm512_maskz_loadu_ps(first_lanes(d - 16 * u), v + j * vld + 16 * u);
        }
        for (int r = 0; r < R; r++) {
            __m512 x = _mm512_set1_ps(p[r * ld + j]);
            for (int u = 0; u < DV; u++) {
                acc[r][u] = _mm512_fmadd_ps(x, vj[u], acc[r][u]);
            }
        }
    }
    for (int r = 0; r < R; r++) {
        for (int u = 0; u < DV; u++) {
            _mm512_mask_storeu_ps(dst + r * dld + 16 * u, first_lanes(d - 16 * u), acc[r][u]);
        }
    }
}

using ScoresTile = void (*)(const float *, int64_t, const float *, int64_t, int64_t, float *);
using OutputTile = void (*)(const float *, int64_t, int64_t, const float *, int64_t, int64_t,
                            float *, int64_t);

// [vectors - 1][0] takes rows_for(vectors) rows, [vectors - 1][1] one row.
template <int V>
constexpr std::pair<ScoresTile, ScoresTile> scores_tiles() {
    return {scores_tile<V, rows_for(V)>, scores_tile<V, 1>};
}
template <int V>
constexpr std::pair<OutputTile, OutputTile> output_tiles() {
    return {output_tile<V, rows_for(V)>, output_tile<V, 1>};
}
constexpr std::pair<ScoresTile, ScoresTile> kScoresTiles[kMaxVectors] = {
        scores_tiles<1>(), scores_tiles<2>(), scores_tiles<3>(), scores_tiles<4>(),
        scores_tiles<5>(), scores_tiles<6>(), scores_tiles<7>(), scores_tiles<8>()};
constexpr std::pair<OutputTile, OutputTile> kOutputTiles[kMaxVectors] = {
        output_tiles<1>(), output_tiles<2>(), output_tiles<3>(), output_tiles<4>(),
        output_tiles<5>(), output_tiles<6>(), output_tiles<7>(), output_tiles<8>()};

// Softmax of one masked row of Tk scores in place; masked keys (-inf) get exactly 0, and a
// row with every key masked becomes zeros.
GATUN_AVX512 void softmax_row(float *row, int64_t tk, bool all_masked) {
    const int64_t vectors = (tk + 15) / 16;
    __m512 top = _mm512_set1_ps(kNegInf);
    for (int64_t t = 0; t < vectors; t++) {
        top = _mm512_mask_max_ps(top, first_lanes(tk - 16 * t), top,
                                 _mm512_load_ps(row + 16 * t));
    }
    const __m512 max = _mm512_set1_ps(max_ps(top));
    __m512 total = _mm512_setzero_ps();
    for (int64_t t = 0; t < vectors; t++) {
        __m512 x = _mm512_load_ps(row + 16 * t);
        // NEQ_UQ keeps a NaN score live, so that it spreads to the row as in oneDNN's softmax
        __mmask16 live = first_lanes(tk - 16 * t) &
                         _mm512_cmp_ps_mask(x, _mm512_set1_ps(kNegInf), _CMP_NEQ_UQ);
        __m512 e = _mm512_maskz_mov_ps(live, exp_ps(_mm512_sub_ps(x, max)));
        _mm512_store_ps(row + 16 * t, e);
        total = _mm512_add_ps(total, e);
    }
    const __m512 inverse = _mm512_set1_ps(all_masked ? 0.f : 1.f / sum_ps(total));
    for (int64_t t = 0; t < vectors; t++) {
        _mm512_store_ps(row + 16 * t, _mm512_mul_ps(_mm512_load_ps(row + 16 * t), inverse));
    }
}

// The floats of small_head's k^T buffer.
int64_t small_head_floats(const Attention &a) { return a.d * ((a.tk + 15) / 16 * 16); }

// Every query row of head `head` in batch bi; kt is small_head_floats(a) floats, 64-byte
// aligned.
GATUN_AVX512 void small_head(const Attention &a, int64_t bi, int64_t head, float *kt) {
    const int64_t g = head / (a.h / a.hkv);
    const int64_t tk_vectors = (a.tk + 15) / 16, d_vectors = (a.d + 15) / 16;
    const float *q = static_cast<const float *>(a.q) + bi * a.qs[0] + head * a.qs[1];
    const float *k = static_cast<const float *>(a.k) + bi * a.ks[0] + g * a.ks[1];
    const float *v = static_cast<const float *>(a.v) + bi * a.vs[0] + g * a.vs[1];
    float *dst = static_cast<float *>(a.dst) + bi * a.ds[0] + head * a.ds[1];

    // k^T, D rows of Tk padded to whole vectors with zeros, so that a query row's scores
    // are FMAs of its elements (broadcast) with rows of k^T
    const int64_t ld = tk_vectors * 16;
    for (int64_t c = 0; c < a.d; c++) {
        std::fill(kt + c * ld + a.tk, kt + (c + 1) * ld, 0.f);
    }
    for (int64_t j = 0; j < a.tk; j++) {
        for (int64_t c = 0; c < a.d; c++) {
            kt[c * ld + j] = k[j * a.ks[2] + c];
        }
    }

    const auto scores = kScoresTiles[tk_vectors - 1];
    const auto output = kOutputTiles[d_vectors - 1];
    const int64_t block = std::min(rows_for(static_cast<int>(tk_vectors)),
                                   rows_for(static_cast<int>(d_vectors)));
    alignas(64) float p[4 * kSmallMaxTk];
    for (int64_t i0 = 0; i0 < a.tq; i0 += block) {
        const int64_t rows = std::min(block, a.tq - i0);
        // a whole block when both tiles take `block` rows, else one row at a time
        const bool whole = rows == block &&
                           rows_for(static_cast<int>(tk_vectors)) == block &&
                           rows_for(static_cast<int>(d_vectors)) == block;
        for (int64_t r = 0; r < rows; r += whole ? rows : 1) {
            (whole ? scores.first : scores.second)(q + (i0 + r) * a.qs[2], a.qs[2], kt, ld,
                                                   a.d, p + r * ld);
        }
        for (int64_t r = 0; r < rows; r++) {
            float *row = p + r * ld;
            softmax_row(row, a.tk, mask_row(a, bi, head, i0 + r, row));
            if (a.weights) {
                std::copy(row, row + a.tk,
                          a.weights + ((bi * a.h + head) * a.tq + i0 + r) * a.tk);
            }
        }
        for (int64_t r = 0; r < rows; r += whole ? rows : 1) {
            (whole ? output.first : output.second)(p + r * ld, ld, a.tk, v, a.vs[2], a.d,
                                                   dst + (i0 + r) * a.ds[2], a.ds[2]);
        }
    }
}

// Heads spread by share() rather than OpenMP: the matmuls around attention run on share()'s
// helpers too, which are then awake, where OpenMP's thread would have to be woken. Each
// worker transposes k into its own slice of one buffer owned by this call.
void small_heads(const Attention &a) {
    const int64_t heads = a.b * a.h;
    const bool shared = heads * a.tq * a.tk * a.d >= kSmallSerialWork;
    // slices rounded to whole cache lines keep them 64-byte aligned
    const int64_t slice = (small_head_floats(a) + 15) / 16 * 16;
    Buffer kt(static_cast<size_t>(slice * (shared ? share_width() : 1)) * sizeof(float));
    auto head = [&](int64_t bh, int worker) {
        small_head(a, bh / a.h, bh % a.h, kt.as<float>() + worker * slice);
    };
    if (shared) {
        share(heads, head);
    } else {
        for (int64_t bh = 0; bh < heads; bh++) {
            head(bh, 0);
        }
    }
}

constexpr double kBatchedScoreBytes = 16 << 20;
constexpr double kBatchedMinWork = 1 << 20;  // B·H·Tq·Tk·D

// oneDNN's fast matmul kernels take no zero stride (see matmul.cpp); a stride-0 dimension
// of size > 1 (a broadcast view) sends the call to the items, which never see it.
bool no_zero_stride(const int64_t *strides, std::initializer_list<int64_t> dims) {
    int i = 0;
    for (int64_t n : dims) {
        // a size-1 dimension too: oneDNN ran a batch of one with stride 0 on its reference
        // matmul (0.4 to 0.8 s for one 256-token MiniLM attention, ~3 ms otherwise)
        if (n > 0 && strides[i] == 0) {
            return false;
        }
        i++;
    }
    return true;
}

// Decoding (Tq up to kRuntimeTkRows) stays on the items, whose matmuls take Tk at run time:
// the whole-call matmuls fix Tk, and would be compiled anew for every generated token.
bool use_batched(const Attention &a) {
    const double scores = static_cast<double>(a.b) * a.h * a.tq * a.tk;
    return a.d > 0 && a.tq > kRuntimeTkRows && scores * sizeof(float) <= kBatchedScoreBytes &&
           scores * a.d >= kBatchedMinWork &&
           no_zero_stride(a.qs, {a.b, a.h, a.tq, a.d}) &&
           no_zero_stride(a.ks, {a.b, a.hkv, a.tk, a.d}) &&
           no_zero_stride(a.vs, {a.b, a.hkv, a.tk, a.d}) &&
           no_zero_stride(a.ds, {a.b, a.h, a.tq, a.d});
}

// A cached 5-D matmul dst = src x wei over batch dimensions [B, Hkv, G] (wei broadcast along
// G), every operand given by its dims and strides.
std::shared_ptr<const CachedPrimitive> batched_matmul(int32_t src_dt, int32_t dst_dt,
                                                      const dnnl::memory::dims &src_dims,
                                                      const dnnl::memory::dims &src_strides,
                                                      const dnnl::memory::dims &wei_dims,
                                                      const dnnl::memory::dims &wei_strides,
                                                      const dnnl::memory::dims &dst_dims,
                                                      const dnnl::memory::dims &dst_strides) {
    CacheKey key(PrimitiveKind::kMatmul);
    key.add_all(-5, src_dt, dst_dt);  // -5: five dimensions, apart from the 3-D matmuls
    for (const auto *v : {&src_dims, &src_strides, &wei_dims, &wei_strides, &dst_dims,
                          &dst_strides}) {
        for (int64_t x : *v) {
            key.add(x);
        }
    }
    return cached_primitive(key, [&] {
        dnnl::matmul::primitive_desc pd(
                cpu_engine(), dnnl::memory::desc(src_dims, to_dnnl(src_dt), src_strides),
                dnnl::memory::desc(wei_dims, to_dnnl(src_dt), wei_strides),
                dnnl::memory::desc(dst_dims, to_dnnl(dst_dt), dst_strides), scratchpad_attr());
        return make_cached<dnnl::matmul>(pd, {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST});
    });
}

// Steps 1 to 5 once for the whole call (see the top). S is [B, Hkv, G, Tq, Tk], which is
// also the order of [B, H, Tq, Tk]: the weights, when asked, are S itself.
void attention_batched(const Attention &a) {
    const int32_t dt = a.dtype;
    const int64_t G = a.h / a.hkv;
    const int64_t n_rows = a.b * a.h * a.tq;
    const size_t n_scores = static_cast<size_t>(n_rows * a.tk);
    std::unique_ptr<Buffer> s_buffer;
    float *s = a.weights;
    if (s == nullptr) {
        s_buffer = std::make_unique<Buffer>(n_scores * sizeof(float));
        s = s_buffer->as<float>();
    }
    Buffer masked_buffer(static_cast<size_t>(n_rows));
    uint8_t *masked = masked_buffer.as<uint8_t>();
    const dnnl::memory::dims s_dims{a.b, a.hkv, G, a.tq, a.tk};
    const dnnl::memory::dims s_dense{a.hkv * G * a.tq * a.tk, G * a.tq * a.tk, a.tq * a.tk,
                                     a.tk, 1};

    // 1. S = q k^T: q [B, Hkv, G, Tq, D] x k^T [B, Hkv, 1, D, Tk]
    auto qk = batched_matmul(
            dt, GATUN_F32, {a.b, a.hkv, G, a.tq, a.d},
            {a.qs[0], G * a.qs[1], a.qs[1], a.qs[2], a.qs[3]}, {a.b, a.hkv, 1, a.d, a.tk},
            {a.ks[0], a.ks[1], a.tk * a.d, a.ks[3], a.ks[2]}, s_dims, s_dense);
    execute(*qk, {{DNNL_ARG_SRC, a.q}, {DNNL_ARG_WEIGHTS, a.k}, {DNNL_ARG_DST, s}});

    // 2. mask, row r = ((b · H) + head) · Tq + i
    parallel_for(n_rows, static_cast<int64_t>(n_scores) >= kParallelThreshold,
                 [&](int64_t r) {
        masked[r] = mask_row(a, r / (a.tq * a.h), r / a.tq % a.h, r % a.tq, s + r * a.tk);
    });

    // 3. P = softmax(S), in f32 in place (then rounded to dtype for step 5 when the
    //    weights need the f32 values), or straight into dtype
    void *p = s;
    std::unique_ptr<Buffer> p_buffer;
    if (dt == GATUN_F32 || a.weights) {
        softmax_rows(n_rows, a.tk, s, masked, GATUN_F32, s, a.tk);
        if (dt != GATUN_F32) {
            p_buffer = std::make_unique<Buffer>(n_scores * dtype_size(dt));
            const int64_t dims[1] = {static_cast<int64_t>(n_scores)};
            const int64_t unit[1] = {1};
            copy_strided(1, dims, GATUN_F32, s, unit, dt, p_buffer->as<void>(), unit);
            p = p_buffer->as<void>();
        }
    } else {
        p_buffer = std::make_unique<Buffer>(n_scores * dtype_size(dt));
        p = p_buffer->as<void>();
        softmax_rows(n_rows, a.tk, s, masked, dt, p, a.tk);
    }

    // 5. dst = P v: P [B, Hkv, G, Tq, Tk] x v [B, Hkv, 1, Tk, D]
    auto pv = batched_matmul(
            dt, dt, s_dims, s_dense, {a.b, a.hkv, 1, a.tk, a.d},
            {a.vs[0], a.vs[1], a.tk * a.d, a.vs[2], a.vs[3]}, {a.b, a.hkv, G, a.tq, a.d},
            {a.ds[0], G * a.ds[1], a.ds[1], a.ds[2], a.ds[3]});
    execute(*pv, {{DNNL_ARG_SRC, p}, {DNNL_ARG_WEIGHTS, a.v}, {DNNL_ARG_DST, a.dst}});
}

void attention_native(const Attention &a) {
    if (small_heads_apply(a)) {
        small_heads(a);
        return;
    }
    if (use_batched(a)) {
        attention_batched(a);
        return;
    }
    Blocking bl;
    bl.group = a.h / a.hkv;
    bl.rows = std::clamp<int64_t>(kScratchFloats / (bl.group * a.tk), 1, a.tq);
    const int64_t threads = omp_get_max_threads();
    const int64_t heads = a.b * a.hkv;
    if (heads < threads) {
        // cut Tq finer so that every thread gets an item
        int64_t wanted = (threads + heads - 1) / heads;
        bl.rows = std::min(bl.rows, std::max<int64_t>(1, (a.tq + wanted - 1) / wanted));
    }
    bl.blocks = (a.tq + bl.rows - 1) / bl.rows;
    const int64_t items = heads * bl.blocks;
    parallel_for(items, items >= threads,
                 [&](int64_t item) { attention_item(a, bl, item); });
}

// F16 without oneDNN support: dense f32 copies of q, k and v; f32 dst converted at the end.
void attention_via_f32(const Attention &a) {
    const int64_t q_dims[4] = {a.b, a.h, a.tq, a.d};
    const int64_t kv_dims[4] = {a.b, a.hkv, a.tk, a.d};
    const int64_t q_dense[4] = {a.h * a.tq * a.d, a.tq * a.d, a.d, 1};
    const int64_t kv_dense[4] = {a.hkv * a.tk * a.d, a.tk * a.d, a.d, 1};
    const size_t q_bytes = static_cast<size_t>(a.b * a.h * a.tq * a.d) * sizeof(float);
    const size_t kv_bytes = static_cast<size_t>(a.b * a.hkv * a.tk * a.d) * sizeof(float);
    Buffer q(q_bytes), k(kv_bytes), v(kv_bytes), dst(q_bytes);
    copy_strided(4, q_dims, a.dtype, a.q, a.qs, GATUN_F32, q.as<void>(), q_dense);
    copy_strided(4, kv_dims, a.dtype, a.k, a.ks, GATUN_F32, k.as<void>(), kv_dense);
    copy_strided(4, kv_dims, a.dtype, a.v, a.vs, GATUN_F32, v.as<void>(), kv_dense);
    Attention f32 = a;
    f32.dtype = GATUN_F32;
    f32.q = q.as<void>();
    f32.k = k.as<void>();
    f32.v = v.as<void>();
    f32.dst = dst.as<void>();
    f32.qs = f32.ds = q_dense;
    f32.ks = f32.vs = kv_dense;
    attention_native(f32);
    copy_strided(4, q_dims, GATUN_F32, dst.as<void>(), q_dense, a.dtype, a.dst, a.ds);
}

// Every key masked (Tk = 0): dst is zeros.
void zero_dst(const Attention &a) {
    with_dtype(a.dtype, [&](auto tag) {
        using T = decltype(tag);
        T *dst = static_cast<T *>(a.dst);
        for (int64_t b = 0; b < a.b; b++) {
            for (int64_t h = 0; h < a.h; h++) {
                for (int64_t i = 0; i < a.tq; i++) {
                    for (int64_t j = 0; j < a.d; j++) {
                        dst[b * a.ds[0] + h * a.ds[1] + i * a.ds[2] + j * a.ds[3]] =
                                from_float<T>(0.f);
                    }
                }
            }
        }
    });
}

void check_last_stride(const int64_t *strides, int64_t d, const char *what) {
    check(d <= 1 || strides[3] == 1, "the last stride (along D) of ", what,
          " must be 1, got [", strides[0], ", ", strides[1], ", ", strides[2], ", ",
          strides[3], "]");
}

void check_attention(const Attention &a) {
    check_strides(a.qs, 4, "q_strides");
    check_strides(a.ks, 4, "k_strides");
    check_strides(a.vs, 4, "v_strides");
    const int64_t d_dims[4] = {a.b, a.h, a.tq, a.d};
    check_dst_strides(a.ds, d_dims, 4, "d_strides");
    check_last_stride(a.qs, a.d, "q");
    check_last_stride(a.ks, a.d, "k");
    check_last_stride(a.vs, a.d, "v");
    check_last_stride(a.ds, a.d, "dst");
    if (a.d > 0) {
        check_not_null(a.q, "q");
        check_not_null(a.dst, "dst");
        if (a.tk > 0) {
            check_not_null(a.k, "k");
            check_not_null(a.v, "v");
        }
    }
    if (a.mask != nullptr) {
        check_strides(a.ms, 4, "mask_strides");
    }
    if (a.key_lengths != nullptr) {
        for (int64_t b = 0; b < a.b; b++) {
            check(a.key_lengths[b] >= 0 && a.key_lengths[b] <= a.tk, "key_lengths[", b,
                  "] must be in [0, Tk=", a.tk, "], got ", a.key_lengths[b]);
        }
    }
}

// A ragged batch (gatun_attention_ragged): sequence i covers positions [start_i, start_i +
// lengths[i]) of q, k, v and dst, [H or Hkv, T, D] with strides [3], T the sum of the
// lengths. Each sequence is a B = 1 problem whose queries and keys are its own positions.
// Sequences that small_head takes run as (sequence, head) items spread over share() in one
// go, so a batch of 32 sentences costs one dispatch instead of 32 (each call paid its
// checks and its share() of about 10 us); the others run one after another as
// gatun_attention would run them.
void ragged(int32_t dtype, int64_t n, const int32_t *lengths, int64_t t, int64_t h,
            int64_t hkv, int64_t d, const void *q, const int64_t *qs, const void *k,
            const int64_t *ks, const void *v, const int64_t *vs, float scale, bool causal,
            void *dst, const int64_t *ds) {
    // [1, ., T, D] strides of every sequence's view; the size-1 batch takes the whole
    // tensor's extent, not 0, which oneDNN's fast matmuls refuse (see no_zero_stride)
    auto batch = [&](const int64_t *s, int64_t heads) {
        return std::max({heads * s[0], t * s[1], d * s[2], int64_t{1}});
    };
    const int64_t q4[4] = {batch(qs, h), qs[0], qs[1], qs[2]};
    const int64_t k4[4] = {batch(ks, hkv), ks[0], ks[1], ks[2]};
    const int64_t v4[4] = {batch(vs, hkv), vs[0], vs[1], vs[2]};
    const int64_t d4[4] = {batch(ds, h), ds[0], ds[1], ds[2]};
    const int64_t size = dtype_size(dtype);
    std::vector<Attention> seqs;
    seqs.reserve(static_cast<size_t>(n));
    int64_t start = 0;
    for (int64_t i = 0; i < n; i++) {
        const int64_t len = lengths[i];
        auto at = [&](const void *base, const int64_t *strides) {
            return static_cast<const char *>(base) + start * strides[2] * size;  // along T
        };
        seqs.push_back(Attention{dtype, 1, h, hkv, len, len, d, at(q, q4), q4, at(k, k4), k4,
                                 at(v, v4), v4, scale, causal, nullptr, nullptr, nullptr,
                                 const_cast<char *>(at(dst, d4)), d4, nullptr});
        start += len;
    }

    std::vector<int64_t> small;  // the sequences small_head takes
    int64_t work = 0, most_floats = 0;
    for (int64_t i = 0; i < n; i++) {
        const Attention &a = seqs[static_cast<size_t>(i)];
        if (small_heads_apply(a)) {
            small.push_back(i);
            work += a.h * a.tq * a.tk * a.d;
            most_floats = std::max(most_floats, small_head_floats(a));
        } else if (compute_dtype(dtype) == dtype) {
            attention_native(a);
        } else {
            attention_via_f32(a);
        }
    }
    if (small.empty()) {
        return;
    }
    const int64_t items = static_cast<int64_t>(small.size()) * h;
    const bool shared = work >= kSmallSerialWork;
    const int64_t slice = (most_floats + 15) / 16 * 16;
    Buffer kt(static_cast<size_t>(slice * (shared ? share_width() : 1)) * sizeof(float));
    auto item = [&](int64_t it, int worker) {
        const Attention &a = seqs[static_cast<size_t>(small[static_cast<size_t>(it / h)])];
        small_head(a, 0, it % h, kt.as<float>() + worker * slice);
    };
    if (shared) {
        share(items, item);
    } else {
        for (int64_t it = 0; it < items; it++) {
            item(it, 0);
        }
    }
}

}  // namespace

}  // namespace gatun

extern "C" {

gatun_status gatun_attention(int32_t dtype, int64_t b, int64_t h, int64_t hkv, int64_t tq,
                             int64_t tk, int64_t d, const void *q, const int64_t *q_strides,
                             const void *k, const int64_t *k_strides, const void *v,
                             const int64_t *v_strides, float scale, int32_t causal,
                             const float *mask, const int64_t *mask_strides,
                             const int32_t *key_lengths, void *dst, const int64_t *d_strides,
                             float *weights) {
    using namespace gatun;
    return guarded("gatun_attention", [&] {
        check_float_dtype("dtype", dtype);
        check(b >= 0 && h >= 0 && hkv >= 0 && tq >= 0 && tk >= 0 && d >= 0,
              "B, H, Hkv, Tq, Tk and D must be >= 0, got B=", b, " H=", h, " Hkv=", hkv,
              " Tq=", tq, " Tk=", tk, " D=", d);
        if (b == 0 || h == 0 || tq == 0) {
            return;
        }
        check(hkv >= 1 && h % hkv == 0, "H must be a multiple of Hkv, got H=", h, " Hkv=",
              hkv);
        Attention a{dtype, b, h, hkv, tq, tk, d, q, q_strides, k, k_strides, v, v_strides,
                    scale, causal != 0, mask, mask_strides, key_lengths, dst, d_strides,
                    weights};
        check_attention(a);
        if (tk == 0) {
            zero_dst(a);
        } else if (compute_dtype(dtype) == dtype) {
            attention_native(a);
        } else {
            attention_via_f32(a);
        }
    });
}

gatun_status gatun_attention_ragged(int32_t dtype, int64_t n, const int32_t *lengths,
                                    int64_t h, int64_t hkv, int64_t d, const void *q,
                                    const int64_t *q_strides, const void *k,
                                    const int64_t *k_strides, const void *v,
                                    const int64_t *v_strides, float scale, int32_t causal,
                                    void *dst, const int64_t *d_strides) {
    using namespace gatun;
    return guarded("gatun_attention_ragged", [&] {
        check_float_dtype("dtype", dtype);
        check(n >= 0 && h >= 0 && hkv >= 0 && d >= 0, "N, H, Hkv and D must be >= 0, got N=",
              n, " H=", h, " Hkv=", hkv, " D=", d);
        if (n == 0 || h == 0) {
            return;
        }
        check(hkv >= 1 && h % hkv == 0, "H must be a multiple of Hkv, got H=", h, " Hkv=",
              hkv);
        check_not_null(lengths, "lengths");
        int64_t t = 0;
        for (int64_t i = 0; i < n; i++) {
            check(lengths[i] >= 1, "lengths[", i, "] must be >= 1, got ", lengths[i]);
            t += lengths[i];
        }
        // the whole tensors, checked once as gatun_attention checks its operands
        check_strides(q_strides, 3, "q_strides");
        check_strides(k_strides, 3, "k_strides");
        check_strides(v_strides, 3, "v_strides");
        check_strides(d_strides, 3, "d_strides");
        const int64_t q4[4] = {0, q_strides[0], q_strides[1], q_strides[2]};
        const int64_t k4[4] = {0, k_strides[0], k_strides[1], k_strides[2]};
        const int64_t v4[4] = {0, v_strides[0], v_strides[1], v_strides[2]};
        const int64_t d4[4] = {0, d_strides[0], d_strides[1], d_strides[2]};
        Attention whole{dtype, 1, h, hkv, t, t, d, q, q4, k, k4, v, v4, scale, causal != 0,
                        nullptr, nullptr, nullptr, dst, d4, nullptr};
        check_attention(whole);
        ragged(dtype, n, lengths, t, h, hkv, d, q, q_strides, k, k_strides, v, v_strides,
               scale, causal != 0, dst, d_strides);
    });
}

}
