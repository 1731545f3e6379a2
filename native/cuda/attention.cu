// attention: dst = softmax(scale q k^T + mask) v without materialising the Tq x Tk scores.
//
// Three kernels and a merge:
//   attention_flash_kernel  bf16/f16, D = 32, 64 or 128: a block takes 64 query rows of
//                           one head (4 warps x 16 rows), streams 64-key K/V tiles through
//                           shared memory (double-buffered cp.async) and keeps, per row, a
//                           running max m and sum l; S = Q K^T and O += P V run on
//                           mma.sync m16n8k16 with fp32 accumulators.
//   attention_rows_kernel   any dtype, any D up to 256: one warp per query row, one lane
//                           per key of a 32-key tile, fp32 throughout. The rows of a block
//                           are the query heads sharing one K/V head (GQA) at consecutive
//                           positions, so a K/V tile is read once for all of them. It can
//                           split the keys across blocks (decoding: few rows, long cache),
//                           writing partial (m, l, o) that attention_combine_kernel merges.
//   attention_reference_kernel  one thread per query row, two passes, expf.
//
// Online softmax, per row, over key tiles (log2 domain: s = scale log2(e) q.k):
//   m' = max(m, max_j s_j);  alpha = 2^(m - m');  p_j = 2^(s_j - m')
//   l' = alpha l + sum_j p_j;  o' = alpha o + sum_j p_j v_j;  finally o / l.
// A row whose keys are all masked keeps m = -inf, l = 0 and is written as zeros.
#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>

#include "common.cuh"
#include "tensor_core.cuh"

namespace gatun_cuda {
namespace {

constexpr float kLog2e = 1.4426950408889634f;

struct AttnArgs {
    int b, h, hkv, tq, tk, d;
    int group;  // H / Hkv: query heads per key/value head
    const void *q;
    int64_t qs[4];
    const void *k;
    int64_t ks[4];
    const void *v;
    int64_t vs[4];
    float scale;       // as given
    float scale_log2;  // scale * log2(e)
    int causal;
    const float *mask;
    int64_t ms[4];
    const int32_t *key_lengths;
    void *dst;
    int64_t ds[4];
};

// Keys j < key_limit(i) are visible to query row i of batch b (the additive mask aside).
__device__ __forceinline__ int key_limit(const AttnArgs &p, int batch, int i) {
    int64_t lim = p.tk;
    if (p.key_lengths) lim = min(lim, static_cast<int64_t>(p.key_lengths[batch]));
    if (p.causal) lim = min(lim, static_cast<int64_t>(i) + p.tk - p.tq + 1);
    return static_cast<int>(max(lim, static_cast<int64_t>(0)));
}

__device__ __forceinline__ float mask_at(const AttnArgs &p, int batch, int head, int i,
                                         int j) {
    return p.mask[batch * p.ms[0] + head * p.ms[1] + i * p.ms[2] + j * p.ms[3]];
}

// ---------------------------------------------------------------------------------------
// flash kernel (tensor cores)

constexpr int kFlashRows = 64;     // query rows per block
constexpr int kFlashKeys = 64;     // keys per tile
constexpr int kFlashThreads = 128; // 4 warps x 16 rows

template <int D> struct FlashSmem {
    static constexpr int LD = D + 8;  // +16 bytes: ldmatrix rows land in distinct banks
    static constexpr int TILE = 64 * LD;
    static constexpr int BYTES = 5 * TILE * 2;  // Q, then K and V twice (double buffer)
};

// Starts the copy of rows row0.. row0+63 (64 x D) of g into s; rows at or past row_end are
// zero-filled, so that masked keys contribute exact zeros (never 0 * NaN).
template <typename T, int D>
__device__ __forceinline__ void flash_load_rows(T *s, const T *g, int64_t row_stride,
                                                int row0, int row_end) {
    constexpr int kParts = D / 8;  // 16-byte chunks per row
#pragma unroll
    for (int c = threadIdx.x; c < 64 * kParts; c += kFlashThreads) {
        const int r = c / kParts;
        const int part = c % kParts;
        const int row = row0 + r;
        const bool ok = row < row_end;
        const T *src = ok ? g + row * row_stride + part * 8 : g;
        cp_async16(s + r * FlashSmem<D>::LD + part * 8, src, ok ? 16 : 0);
    }
}

template <typename T, int D>
__global__ void __launch_bounds__(kFlashThreads) attention_flash_kernel(AttnArgs p) {
    constexpr int LD = FlashSmem<D>::LD;
    constexpr int TILE = FlashSmem<D>::TILE;
    extern __shared__ __align__(16) unsigned char smem[];
    T *sq = reinterpret_cast<T *>(smem);
    T *sk = sq + TILE;      // two K tiles
    T *sv = sk + 2 * TILE;  // two V tiles

    // the longest causal tiles (last queries) are scheduled first
    const int q0 = (gridDim.x - 1 - blockIdx.x) * kFlashRows;
    const int head = blockIdx.y;
    const int batch = blockIdx.z;
    const int kv_head = head / p.group;
    const T *gq = static_cast<const T *>(p.q) + batch * p.qs[0] + head * p.qs[1];
    const T *gk = static_cast<const T *>(p.k) + batch * p.ks[0] + kv_head * p.ks[1];
    const T *gv = static_cast<const T *>(p.v) + batch * p.vs[0] + kv_head * p.vs[1];
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int g = lane >> 2;
    const int t = lane & 3;

    // keys of the block: the last valid query row sees the most
    const int kv_end = key_limit(p, batch, min(q0 + kFlashRows, p.tq) - 1);
    const int ntiles = (kv_end + kFlashKeys - 1) / kFlashKeys;

    flash_load_rows<T, D>(sq, gq, p.qs[2], q0, p.tq);
    if (ntiles > 0) {
        flash_load_rows<T, D>(sk, gk, p.ks[2], 0, kv_end);
        flash_load_rows<T, D>(sv, gv, p.vs[2], 0, kv_end);
    }
    cp_async_commit();
    cp_async_wait<0>();
    __syncthreads();

    // this warp's 16 query rows as A fragments, kept in registers for the whole loop
    uint32_t qf[D / 16][4];
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks)
        ldmatrix_x4(qf[ks], sq + (warp * 16 + (lane & 15)) * LD + ks * 16 + (lane >> 4) * 8);

    // per thread: rows row0 (registers 0, 1) and row0 + 8 (registers 2, 3)
    const int row0 = q0 + warp * 16 + g;
    const int lim[2] = {key_limit(p, batch, row0), key_limit(p, batch, row0 + 8)};
    float o[D / 8][4];
#pragma unroll
    for (int j = 0; j < D / 8; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) o[j][e] = 0.0f;
    float m[2] = {-INFINITY, -INFINITY};
    float l[2] = {0.0f, 0.0f};

    for (int jt = 0; jt < ntiles; ++jt) {
        const int stage = jt & 1;
        if (jt > 0) {
            // tile jt has landed, and every warp is done with tile jt-1
            cp_async_wait<0>();
            __syncthreads();
        }
        if (jt + 1 < ntiles) {
            const int next = (jt + 1) * kFlashKeys;
            flash_load_rows<T, D>(sk + (stage ^ 1) * TILE, gk, p.ks[2], next, kv_end);
            flash_load_rows<T, D>(sv + (stage ^ 1) * TILE, gv, p.vs[2], next, kv_end);
        }
        cp_async_commit();
        const T *tk = sk + stage * TILE;
        const T *tv = sv + stage * TILE;
        const int kv0 = jt * kFlashKeys;

        // scores s = q k^T: 16 rows x 64 keys per warp, 8 tiles of 16x8
        float s[8][4];
#pragma unroll
        for (int j = 0; j < 8; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) s[j][e] = 0.0f;
#pragma unroll
        for (int ks = 0; ks < D / 16; ++ks) {
#pragma unroll
            for (int np = 0; np < 4; ++np) {
                uint32_t r[4];
                const int key = np * 16 + (lane & 7) + ((lane >> 4) << 3);
                ldmatrix_x4(r, tk + key * LD + ks * 16 + ((lane >> 3) & 1) * 8);
                mma_16816<T>(s[2 * np], qf[ks], r[0], r[1]);
                mma_16816<T>(s[2 * np + 1], qf[ks], r[2], r[3]);
            }
        }

        // scale into the log2 domain, add the mask, hide keys past each row's limit
#pragma unroll
        for (int j = 0; j < 8; ++j) {
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int col = kv0 + j * 8 + 2 * t + (e & 1);
                const int row = row0 + (e >> 1) * 8;
                float x = s[j][e] * p.scale_log2;
                if (p.mask && row < p.tq && col < p.tk)
                    x += mask_at(p, batch, head, row, col) * kLog2e;
                s[j][e] = col < lim[e >> 1] ? x : -INFINITY;
            }
        }

        // online softmax: new running max, rescale the old sum and output
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            float mx = -INFINITY;
#pragma unroll
            for (int j = 0; j < 8; ++j) mx = fmaxf(mx, fmaxf(s[j][2 * r], s[j][2 * r + 1]));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
            const float m_new = fmaxf(m[r], mx);
            const float m_use = m_new == -INFINITY ? 0.0f : m_new;
            const float alpha = exp2f(m[r] - m_use);
            m[r] = m_new;
            float sum = 0.0f;
#pragma unroll
            for (int j = 0; j < 8; ++j) {
#pragma unroll
                for (int e = 2 * r; e < 2 * r + 2; ++e) {
                    s[j][e] = exp2f(s[j][e] - m_use);
                    sum += s[j][e];
                }
            }
            l[r] = l[r] * alpha + sum;  // this thread's share; the quad is summed at the end
#pragma unroll
            for (int j = 0; j < D / 8; ++j) {
                o[j][2 * r] *= alpha;
                o[j][2 * r + 1] *= alpha;
            }
        }

        // o += p v: the score accumulators are already laid out as A fragments
#pragma unroll
        for (int kk = 0; kk < kFlashKeys / 16; ++kk) {
            uint32_t a[4];
            a[0] = pack2<T>(s[2 * kk][0], s[2 * kk][1]);
            a[1] = pack2<T>(s[2 * kk][2], s[2 * kk][3]);
            a[2] = pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]);
            a[3] = pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3]);
#pragma unroll
            for (int dp = 0; dp < D / 16; ++dp) {
                uint32_t r[4];
                const int key = kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
                ldmatrix_x4_trans(r, tv + key * LD + dp * 16 + (lane >> 4) * 8);
                mma_16816<T>(o[2 * dp], a, r[0], r[1]);
                mma_16816<T>(o[2 * dp + 1], a, r[2], r[3]);
            }
        }
    }
    cp_async_wait<0>();

    // o / l, rows with no visible key (l = 0) as zeros
    T *gd = static_cast<T *>(p.dst) + batch * p.ds[0] + head * p.ds[1];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        float total = l[r];
        total += __shfl_xor_sync(0xffffffffu, total, 1);
        total += __shfl_xor_sync(0xffffffffu, total, 2);
        const float inv = total > 0.0f ? 1.0f / total : 0.0f;
        const int row = row0 + r * 8;
        if (row >= p.tq) continue;
#pragma unroll
        for (int j = 0; j < D / 8; ++j) {
            const uint32_t pair = pack2<T>(o[j][2 * r] * inv, o[j][2 * r + 1] * inv);
            *reinterpret_cast<uint32_t *>(gd + row * p.ds[2] + j * 8 + 2 * t) = pair;
        }
    }
}

// ---------------------------------------------------------------------------------------
// rows kernel (fp32, any D <= 256), with an optional split of the keys

constexpr int kRowsWarps = 8;   // query rows per block
constexpr int kRowsKeys = 32;   // keys per tile: one per lane
constexpr int kMaxD = 256;

// Shared memory of attention_rows_kernel for head dim d: q rows, a K tile (rows padded to
// an odd length so that lane j reading key j hits bank j) and a V tile, all fp32.
inline int rows_kstride(int d) { return d % 2 == 0 ? d + 1 : d; }
inline int rows_smem_bytes(int d) {
    return (kRowsWarps * d + kRowsKeys * rows_kstride(d) + kRowsKeys * d) * 4;
}

// Block (x: 8 rows of this K/V head, y: batch * Hkv + K/V head, z: key split). Row r of a
// K/V head is query position r / group of query head kv_head * group + r % group.
// vec: K and V rows are 16-byte aligned and D a multiple of 8 (vector loads).
// partial == nullptr: writes dst. Otherwise writes (m, l, o[D]) per row and split to
// partial[((batch * H + head) * Tq + i) * splits + split], for attention_combine_kernel.
template <typename T>
__global__ void __launch_bounds__(kRowsWarps * 32)
    attention_rows_kernel(AttnArgs p, int keys_per_split, bool vec, float *partial) {
    extern __shared__ float fsm[];
    const int D = p.d;
    const int kstride = D % 2 == 0 ? D + 1 : D;
    float *sq = fsm;                             // [8][D]
    float *sk = sq + kRowsWarps * D;             // [32][kstride]
    float *sv = sk + kRowsKeys * kstride;        // [32][D]

    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int batch = blockIdx.y / p.hkv;
    const int kv_head = blockIdx.y % p.hkv;
    const int rows = p.tq * p.group;
    const int r = blockIdx.x * kRowsWarps + warp;
    const bool active = r < rows;
    const int i = active ? r / p.group : 0;
    const int head = kv_head * p.group + (active ? r % p.group : 0);
    const int split = blockIdx.z;

    // keys of the block: this split's range, cut at what its last row may see
    const int r_last = min(static_cast<int>(blockIdx.x) * kRowsWarps + kRowsWarps, rows) - 1;
    const int kb = split * keys_per_split;
    const int ke = min(kb + keys_per_split, key_limit(p, batch, r_last / p.group));
    const int lim = active ? key_limit(p, batch, i) : 0;

    const T *gq = static_cast<const T *>(p.q) + batch * p.qs[0] + head * p.qs[1] + i * p.qs[2];
    const T *gk = static_cast<const T *>(p.k) + batch * p.ks[0] + kv_head * p.ks[1];
    const T *gv = static_cast<const T *>(p.v) + batch * p.vs[0] + kv_head * p.vs[1];
    for (int d = lane; d < D; d += 32) sq[warp * D + d] = active ? to_float(gq[d]) : 0.0f;

    float o[kMaxD / 32];
#pragma unroll
    for (int u = 0; u < kMaxD / 32; ++u) o[u] = 0.0f;
    float m = -INFINITY;
    float l = 0.0f;

    for (int k0 = kb; k0 < ke; k0 += kRowsKeys) {
        // the previous tile is consumed (and on the first pass, q is in place)
        __syncthreads();
        if (vec) {
            // 8 elements per 16-byte load; keys at or past ke are zeros
            for (int e = threadIdx.x; e < kRowsKeys * D / 8; e += kRowsWarps * 32) {
                const int kr = e / (D / 8);
                const int d = e % (D / 8) * 8;
                const int key = k0 + kr;
                float kx[8] = {}, vx[8] = {};
                if (key < ke) {
                    load8(gk + key * p.ks[2] + d, kx);
                    load8(gv + key * p.vs[2] + d, vx);
                }
#pragma unroll
                for (int u = 0; u < 8; ++u) {
                    sk[kr * kstride + d + u] = kx[u];
                    sv[kr * D + d + u] = vx[u];
                }
            }
        } else {
            for (int e = threadIdx.x; e < kRowsKeys * D; e += kRowsWarps * 32) {
                const int kr = e / D;
                const int d = e % D;
                const int key = k0 + kr;
                const bool ok = key < ke;
                sk[kr * kstride + d] = ok ? to_float(gk[key * p.ks[2] + d]) : 0.0f;
                sv[kr * D + d] = ok ? to_float(gv[key * p.vs[2] + d]) : 0.0f;
            }
        }
        __syncthreads();

        // lane j scores key k0 + j
        const int key = k0 + lane;
        float s = -INFINITY;
        if (active && key < ke && key < lim) {
            const float *qr = sq + warp * D;
            const float *kr = sk + lane * kstride;
            float acc = 0.0f;
            for (int d = 0; d < D; ++d) acc += qr[d] * kr[d];
            s = acc * p.scale_log2;
            if (p.mask) s += mask_at(p, batch, head, i, key) * kLog2e;
        }

        // online softmax over the 32 scores of the warp
        const float m_new = fmaxf(m, warp_max(s));
        const float m_use = m_new == -INFINITY ? 0.0f : m_new;
        const float alpha = exp2f(m - m_use);
        const float pj = exp2f(s - m_use);
        l = l * alpha + warp_sum(pj);
        m = m_new;
        const int nkeys = min(kRowsKeys, ke - k0);
#pragma unroll
        for (int u = 0; u < kMaxD / 32; ++u) o[u] *= alpha;
        for (int j = 0; j < nkeys; ++j) {
            const float pk = __shfl_sync(0xffffffffu, pj, j);
            const float *vr = sv + j * D;
#pragma unroll
            for (int u = 0; u < kMaxD / 32; ++u) {
                const int d = lane + 32 * u;
                if (d < D) o[u] += pk * vr[d];
            }
        }
    }
    if (!active) return;

    if (!partial) {
        const float inv = l > 0.0f ? 1.0f / l : 0.0f;
        T *gd = static_cast<T *>(p.dst) + batch * p.ds[0] + head * p.ds[1] + i * p.ds[2];
#pragma unroll
        for (int u = 0; u < kMaxD / 32; ++u) {
            const int d = lane + 32 * u;
            if (d < D) gd[d] = from_float<T>(o[u] * inv);
        }
        return;
    }
    const int64_t row = (static_cast<int64_t>(batch) * p.h + head) * p.tq + i;
    float *w = partial + (row * gridDim.z + split) * (D + 2);
    if (lane == 0) {
        w[0] = m;
        w[1] = l;
    }
#pragma unroll
    for (int u = 0; u < kMaxD / 32; ++u) {
        const int d = lane + 32 * u;
        if (d < D) w[2 + d] = o[u];
    }
}

// Merges the splits of each query row: one warp per row (batch, head, i), rows in
// [B, H, Tq] order. out = sum_s 2^(m_s - M) o_s / sum_s 2^(m_s - M) l_s, M = max_s m_s.
template <typename T>
__global__ void attention_combine_kernel(AttnArgs p, int splits, const float *partial) {
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int64_t row = static_cast<int64_t>(blockIdx.x) * (blockDim.x >> 5) + warp;
    const int64_t total = static_cast<int64_t>(p.b) * p.h * p.tq;
    if (row >= total) return;
    const int i = static_cast<int>(row % p.tq);
    const int head = static_cast<int>((row / p.tq) % p.h);
    const int batch = static_cast<int>(row / (static_cast<int64_t>(p.tq) * p.h));
    const int D = p.d;
    const float *w = partial + row * splits * (D + 2);
    T *gd = static_cast<T *>(p.dst) + batch * p.ds[0] + head * p.ds[1] + i * p.ds[2];

    float big = -INFINITY;
    for (int s = 0; s < splits; ++s) big = fmaxf(big, w[s * (D + 2)]);
    if (big == -INFINITY) {
        for (int d = lane; d < D; d += 32) gd[d] = from_float<T>(0.0f);
        return;
    }
    float sum = 0.0f;
    for (int s = 0; s < splits; ++s) sum += w[s * (D + 2) + 1] * exp2f(w[s * (D + 2)] - big);
    const float inv = 1.0f / sum;
    for (int d = lane; d < D; d += 32) {
        float acc = 0.0f;
        for (int s = 0; s < splits; ++s)
            acc += w[s * (D + 2) + 2 + d] * exp2f(w[s * (D + 2)] - big);
        gd[d] = from_float<T>(acc * inv);
    }
}

// ---------------------------------------------------------------------------------------
// reference kernel

// One thread per query row (batch, head, i), rows in [B, H, Tq] order: the max score
// first, then exp-weighted sums, in natural-log units with expf.
template <typename T> __global__ void attention_reference_kernel(AttnArgs p) {
    const int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const int64_t total = static_cast<int64_t>(p.b) * p.h * p.tq;
    if (row >= total) return;
    const int i = static_cast<int>(row % p.tq);
    const int head = static_cast<int>((row / p.tq) % p.h);
    const int batch = static_cast<int>(row / (static_cast<int64_t>(p.tq) * p.h));
    const int kv_head = head / p.group;
    const T *q = static_cast<const T *>(p.q) + batch * p.qs[0] + head * p.qs[1] + i * p.qs[2];
    const T *k = static_cast<const T *>(p.k) + batch * p.ks[0] + kv_head * p.ks[1];
    const T *v = static_cast<const T *>(p.v) + batch * p.vs[0] + kv_head * p.vs[1];
    T *out = static_cast<T *>(p.dst) + batch * p.ds[0] + head * p.ds[1] + i * p.ds[2];
    const int lim = key_limit(p, batch, i);

    auto score = [&](int j) {
        float acc = 0.0f;
        for (int d = 0; d < p.d; ++d) acc += to_float(q[d]) * to_float(k[j * p.ks[2] + d]);
        acc *= p.scale;
        if (p.mask) acc += mask_at(p, batch, head, i, j);
        return acc;
    };

    float big = -INFINITY;
    for (int j = 0; j < lim; ++j) big = fmaxf(big, score(j));
    if (big == -INFINITY) {
        for (int d = 0; d < p.d; ++d) out[d] = from_float<T>(0.0f);
        return;
    }
    float acc[kMaxD];
    for (int d = 0; d < p.d; ++d) acc[d] = 0.0f;
    float sum = 0.0f;
    for (int j = 0; j < lim; ++j) {
        const float pj = expf(score(j) - big);
        sum += pj;
        for (int d = 0; d < p.d; ++d) acc[d] += pj * to_float(v[j * p.vs[2] + d]);
    }
    for (int d = 0; d < p.d; ++d) out[d] = from_float<T>(acc[d] / sum);
}

// ---------------------------------------------------------------------------------------
// host side

// Whether the strided [B, H, T, D] tensor at base suits 16-byte cp.async rows.
bool rows_aligned(const void *base, const int64_t *s) {
    return aligned16(base) && s[0] % 8 == 0 && s[1] % 8 == 0 && s[2] % 8 == 0;
}

template <typename T, int D>
gatun_cuda_status launch_flash(const AttnArgs &p, cudaStream_t stream) {
    constexpr int bytes = FlashSmem<D>::BYTES;
    const void *kernel = reinterpret_cast<const void *>(attention_flash_kernel<T, D>);
    GATUN_CUDA_TRY(allow_shared_memory(kernel, bytes));
    const dim3 grid(static_cast<unsigned>(ceil_div(p.tq, kFlashRows)), p.h, p.b);
    attention_flash_kernel<T, D><<<grid, kFlashThreads, bytes, stream>>>(p);
    GATUN_CUDA_CHECK_LAUNCH("attention_flash_kernel");
    return GATUN_CUDA_OK;
}

template <typename T> gatun_cuda_status launch_rows(const AttnArgs &p, cudaStream_t stream) {
    const int64_t row_blocks = ceil_div(static_cast<int64_t>(p.tq) * p.group, kRowsWarps);
    const int64_t blocks = row_blocks * p.b * p.hkv;
    if (row_blocks > INT32_MAX)
        return fail(GATUN_CUDA_ERR_UNSUPPORTED,
                    "Tq * H / Hkv must be < 2^34, got " +
                        std::to_string(static_cast<int64_t>(p.tq) * p.group));

    // split the keys when the rows alone leave the GPU idle (decoding over a long cache):
    // aim at two blocks per multiprocessor, each split at least 256 keys
    int sms = 0;
    GATUN_CUDA_TRY(sm_count(&sms));
    int splits = 1;
    if (blocks < 2 * sms && p.tk >= 512) {
        const int64_t want = ceil_div(2 * sms, blocks);
        splits = static_cast<int>(std::min<int64_t>(std::min<int64_t>(want, p.tk / 256), 64));
        splits = std::max(splits, 1);
    }
    int keys_per_split = static_cast<int>(ceil_div(ceil_div(p.tk, splits), kRowsKeys)) *
                         kRowsKeys;
    if (keys_per_split == 0) keys_per_split = kRowsKeys;
    splits = static_cast<int>(std::max<int64_t>(ceil_div(p.tk, keys_per_split), 1));

    const bool vec = p.d % 8 == 0 && rows_aligned(p.k, p.ks) && rows_aligned(p.v, p.vs);
    const int bytes = rows_smem_bytes(p.d);
    const void *kernel = reinterpret_cast<const void *>(attention_rows_kernel<T>);
    GATUN_CUDA_TRY(allow_shared_memory(kernel, bytes));
    const dim3 grid(static_cast<unsigned>(row_blocks), p.b * p.hkv, splits);

    if (splits == 1) {
        attention_rows_kernel<T><<<grid, kRowsWarps * 32, bytes, stream>>>(p, keys_per_split,
                                                                           vec, nullptr);
        GATUN_CUDA_CHECK_LAUNCH("attention_rows_kernel");
        return GATUN_CUDA_OK;
    }

    // scratch for the partial (m, l, o) of every row and split, stream-ordered
    const int64_t total_rows = static_cast<int64_t>(p.b) * p.h * p.tq;
    const size_t scratch = static_cast<size_t>(total_rows) * splits * (p.d + 2) * sizeof(float);
    float *partial = nullptr;
    GATUN_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void **>(&partial), scratch, stream));
    attention_rows_kernel<T><<<grid, kRowsWarps * 32, bytes, stream>>>(p, keys_per_split,
                                                                       vec, partial);
    cudaError_t err = cudaGetLastError();
    if (err == cudaSuccess) {
        const unsigned combine_blocks = static_cast<unsigned>(ceil_div(total_rows, 8));
        attention_combine_kernel<T><<<combine_blocks, 256, 0, stream>>>(p, splits, partial);
        err = cudaGetLastError();
    }
    const cudaError_t free_err = cudaFreeAsync(partial, stream);
    if (err != cudaSuccess)
        return cuda_fail(err, "launch of attention_rows_kernel / attention_combine_kernel",
                         __FILE__, __LINE__);
    GATUN_CUDA_CHECK(free_err);
    return GATUN_CUDA_OK;
}

gatun_cuda_status check_strides(const char *name, const int64_t *s) {
    if (!s) return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, std::string(name) + " is NULL");
    if (s[3] != 1)
        return fail(GATUN_CUDA_ERR_UNSUPPORTED,
                    std::string(name) + "[3] (the D stride) must be 1, got " + name + "=" +
                        shape_str(s, 4));
    return GATUN_CUDA_OK;
}

gatun_cuda_status attention(bool reference, int32_t dtype, int64_t b, int64_t h, int64_t hkv,
                            int64_t tq, int64_t tk, int64_t d, const void *q,
                            const int64_t *q_strides, const void *k, const int64_t *k_strides,
                            const void *v, const int64_t *v_strides, float scale,
                            int32_t causal, const float *mask, const int64_t *mask_strides,
                            const int32_t *key_lengths, void *dst, const int64_t *d_strides,
                            void *stream) {
    if (!is_float_dtype(dtype))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    std::string("dtype must be F32, F16 or BF16, got ") + dtype_name(dtype));
    const int64_t dims[6] = {b, h, hkv, tq, tk, d};
    if (b < 0 || h < 1 || hkv < 1 || tq < 0 || tk < 0 || d < 1 || h % hkv != 0)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "need B >= 0, Tq >= 0, Tk >= 0, D >= 1 and H a positive multiple of "
                    "Hkv >= 1; got [B, H, Hkv, Tq, Tk, D]=" + shape_str(dims, 6));
    if (d > kMaxD)
        return fail(GATUN_CUDA_ERR_UNSUPPORTED,
                    "D must be <= 256, got D=" + std::to_string(d));
    if (b > 65535 || h > 65535 || tq > INT32_MAX || tk > INT32_MAX || b * hkv > 65535)
        return fail(GATUN_CUDA_ERR_UNSUPPORTED,
                    "need B, H, B * Hkv <= 65535 and Tq, Tk < 2^31; got [B, H, Hkv, Tq, Tk, D]=" +
                        shape_str(dims, 6));
    GATUN_CUDA_TRY(check_strides("q_strides", q_strides));
    GATUN_CUDA_TRY(check_strides("k_strides", k_strides));
    GATUN_CUDA_TRY(check_strides("v_strides", v_strides));
    GATUN_CUDA_TRY(check_strides("d_strides", d_strides));
    if (mask && !mask_strides)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "mask_strides is NULL but mask is not");
    if (b == 0 || tq == 0) return GATUN_CUDA_OK;
    if (!q || !dst || (tk > 0 && (!k || !v)))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "q, k, v and dst must not be NULL");

    AttnArgs p{};
    p.b = static_cast<int>(b);
    p.h = static_cast<int>(h);
    p.hkv = static_cast<int>(hkv);
    p.tq = static_cast<int>(tq);
    p.tk = static_cast<int>(tk);
    p.d = static_cast<int>(d);
    p.group = static_cast<int>(h / hkv);
    p.q = q;
    p.k = k;
    p.v = v;
    p.dst = dst;
    for (int i = 0; i < 4; ++i) {
        p.qs[i] = q_strides[i];
        p.ks[i] = k_strides[i];
        p.vs[i] = v_strides[i];
        p.ds[i] = d_strides[i];
        p.ms[i] = mask ? mask_strides[i] : 0;
    }
    p.scale = scale;
    p.scale_log2 = scale * kLog2e;
    p.causal = causal != 0;
    p.mask = mask;
    p.key_lengths = key_lengths;
    cudaStream_t s = as_stream(stream);

    if (reference) {
        const int64_t rows = b * h * tq;
        const unsigned blocks = static_cast<unsigned>(ceil_div(rows, 128));
        dispatch_float(dtype, [&](auto tag) {
            using T = typename decltype(tag)::type;
            attention_reference_kernel<T><<<blocks, 128, 0, s>>>(p);
        });
        GATUN_CUDA_CHECK_LAUNCH("attention_reference_kernel");
        return GATUN_CUDA_OK;
    }

    // tensor cores: 16-bit, a templated head dim, 16-byte rows, and enough query rows to
    // fill a 16-row fragment
    const bool flash = dtype != GATUN_F32 && (d == 32 || d == 64 || d == 128) && tq >= 16 &&
                       rows_aligned(q, q_strides) && rows_aligned(k, k_strides) &&
                       rows_aligned(v, v_strides) && rows_aligned(dst, d_strides);
    if (flash) {
        return dispatch_float(dtype, [&](auto tag) -> gatun_cuda_status {
            using T = typename decltype(tag)::type;
            if constexpr (std::is_same_v<T, float>) {
                return fail(GATUN_CUDA_ERR_INTERNAL, "flash path taken for F32");
            } else {
                if (d == 32) return launch_flash<T, 32>(p, s);
                if (d == 64) return launch_flash<T, 64>(p, s);
                return launch_flash<T, 128>(p, s);
            }
        });
    }
    return dispatch_float(dtype, [&](auto tag) -> gatun_cuda_status {
        using T = typename decltype(tag)::type;
        return launch_rows<T>(p, s);
    });
}

}  // namespace
}  // namespace gatun_cuda

using namespace gatun_cuda;

extern "C" {

gatun_cuda_status gatun_cuda_attention(int32_t dtype, int64_t b, int64_t h, int64_t hkv,
                                       int64_t tq, int64_t tk, int64_t d, const void *q,
                                       const int64_t *q_strides, const void *k,
                                       const int64_t *k_strides, const void *v,
                                       const int64_t *v_strides, float scale, int32_t causal,
                                       const float *mask, const int64_t *mask_strides,
                                       const int32_t *key_lengths, void *dst,
                                       const int64_t *d_strides, void *stream) {
    begin("gatun_cuda_attention");
    return attention(false, dtype, b, h, hkv, tq, tk, d, q, q_strides, k, k_strides, v,
                     v_strides, scale, causal, mask, mask_strides, key_lengths, dst,
                     d_strides, stream);
}

gatun_cuda_status gatun_cuda_attention_reference(
    int32_t dtype, int64_t b, int64_t h, int64_t hkv, int64_t tq, int64_t tk, int64_t d,
    const void *q, const int64_t *q_strides, const void *k, const int64_t *k_strides,
    const void *v, const int64_t *v_strides, float scale, int32_t causal, const float *mask,
    const int64_t *mask_strides, const int32_t *key_lengths, void *dst,
    const int64_t *d_strides, void *stream) {
    begin("gatun_cuda_attention_reference");
    return attention(true, dtype, b, h, hkv, tq, tk, d, q, q_strides, k, k_strides, v,
                     v_strides, scale, causal, mask, mask_strides, key_lengths, dst,
                     d_strides, stream);
}

}  // extern "C"
