// matmul: dst[b] = act(a[b] x w[b] + bias) + residual[b] on tensor cores.
//
// Three kernels:
//   matmul_wgmma_kernel   sm_90a only: two warpgroups, each issuing wgmma m64n128k16 on a
//                         128x128x64 tile held in 128-byte-swizzled shared memory, four
//                         stages deep, fed by cp.async. bf16/f16, a K-contiguous.
//   matmul_mma_kernel     sm_80+: eight warps over a 128x128 tile, each warp 64x32 with
//                         mma.sync (m16n8k16 bf16/f16, m16n8k8 tf32 for fp32), three
//                         stages of cp.async. Any layout and stride.
//   matmul_reference_kernel  one thread per output element, fp32 sums.
// All three share the epilogue: + bias, activation, + residual, round to the dtype.
#include <mutex>
#include <string>
#include <vector>

#include "common.cuh"
#include "tensor_core.cuh"

namespace gatun_cuda {
namespace {

// One matmul call. Tiles are [mn, k] of an operand; "k-major" means k is the contiguous
// dimension of that operand in memory (a is [M, K] row-major; w is a [N, K] weight).
struct GemmArgs {
    int m, n, k;
    const void *a;
    int64_t a_sb, a_sm, a_sk;
    const void *w;
    int64_t w_sb, w_sk, w_sn;
    const void *bias;
    int32_t act;
    const void *res;
    int64_t r_sb, r_sm, r_sn;
    void *dst;
    int64_t d_sb, d_sm, d_sn;
    bool a_kmajor, w_kmajor;  // which layout the shared-memory tiles take
    bool a_async, w_async;    // 16-byte cp.async allowed (aligned, contiguous rows)
};

// dst(row, col) = act(acc + bias[col]) + residual(row, col), rounded to T.
template <typename T>
__device__ __forceinline__ void store_output(const GemmArgs &p, int64_t batch, int row,
                                             int col, float acc) {
    if (p.bias) acc += to_float(static_cast<const T *>(p.bias)[col]);
    acc = activate(acc, p.act);
    if (p.res) {
        const T *res = static_cast<const T *>(p.res);
        acc += to_float(res[batch * p.r_sb + row * p.r_sm + col * p.r_sn]);
    }
    T *dst = static_cast<T *>(p.dst);
    dst[batch * p.d_sb + row * p.d_sm + col * p.d_sn] = from_float<T>(acc);
}

// ---------------------------------------------------------------------------------------
// mma.sync kernel (sm_80+)

constexpr int kBM = 128;      // tile rows (M)
constexpr int kBN = 128;      // tile columns (N)
constexpr int kStages = 3;    // cp.async pipeline depth
constexpr int kThreads = 256; // 8 warps: 2 along M x 4 along N, 64x32 each

// Shared-memory geometry of one operand tile for element type T: 64 bytes of K per stage
// (BK = 32 for 16-bit types, 16 for fp32), rows padded by 16 bytes (k-major) or 8
// elements (mn-major) so that ldmatrix and the tf32 fragment loads hit distinct banks.
template <typename T> struct MmaTile {
    static constexpr int BK = 64 / sizeof(T);
    static constexpr int EPC = 16 / sizeof(T);  // elements per 16-byte chunk
    static constexpr int LD_K = BK + EPC;       // row length of a k-major tile [128][BK]
    static constexpr int LD_MN = 128 + 8;       // row length of an mn-major tile [BK][128]
    static constexpr int ELEMS =
        128 * LD_K > BK * LD_MN ? 128 * LD_K : BK * LD_MN;
};

// Copies the operand tile (mn0.. mn0+127, k0.. k0+BK-1) of g into s, zero-filling outside
// [0, mn_lim) x [0, k_lim). With async, 16-byte cp.async chunks (the caller checked
// alignment); otherwise plain loads through registers, for any strides.
template <typename T>
__device__ __forceinline__ void load_tile(T *s, const T *g, int64_t s_mn, int64_t s_k,
                                          int mn0, int mn_lim, int k0, int k_lim,
                                          bool kmajor, bool async) {
    using Tile = MmaTile<T>;
    constexpr int kChunks = 128 * 64 / 16;  // 512 chunks of 16 bytes per tile
#pragma unroll
    for (int i = 0; i < kChunks / kThreads; ++i) {
        const int c = threadIdx.x + i * kThreads;
        int mn, k;
        T *dst;
        if (kmajor) {
            const int row = c / (Tile::BK / Tile::EPC);
            const int part = c % (Tile::BK / Tile::EPC);
            mn = mn0 + row;
            k = k0 + part * Tile::EPC;
            dst = s + row * Tile::LD_K + part * Tile::EPC;
        } else {
            const int row = c / (128 / Tile::EPC);
            const int part = c % (128 / Tile::EPC);
            k = k0 + row;
            mn = mn0 + part * Tile::EPC;
            dst = s + row * Tile::LD_MN + part * Tile::EPC;
        }
        if (async) {
            int valid;
            if (kmajor) valid = mn < mn_lim ? min(max(k_lim - k, 0), Tile::EPC) : 0;
            else valid = k < k_lim ? min(max(mn_lim - mn, 0), Tile::EPC) : 0;
            const T *src = valid > 0 ? g + mn * s_mn + k * s_k : g;
            cp_async16(dst, src, valid * static_cast<int>(sizeof(T)));
        } else {
#pragma unroll
            for (int e = 0; e < Tile::EPC; ++e) {
                const int me = kmajor ? mn : mn + e;
                const int ke = kmajor ? k + e : k;
                dst[e] = me < mn_lim && ke < k_lim ? g[me * s_mn + ke * s_k]
                                                   : from_float<T>(0.0f);
            }
        }
    }
}

// acc[i][j] += A(warp rows 16i..) x B(warp cols 8j..) over one stage, 16-bit types:
// fragments come from ldmatrix (transposed for an mn-major tile).
template <typename T>
__device__ __forceinline__ void mma_stage(float (&acc)[4][4][4], const T *sa, const T *sb,
                                          bool a_kmajor, bool w_kmajor, int wm, int wn,
                                          int lane) {
    using Tile = MmaTile<T>;
#pragma unroll
    for (int ks = 0; ks < Tile::BK / 16; ++ks) {
        uint32_t af[4][4];
        uint32_t bfr[4][2];
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            if (a_kmajor) {
                const int row = wm + 16 * i + (lane & 15);
                const int col = ks * 16 + (lane >> 4) * 8;
                ldmatrix_x4(af[i], sa + row * Tile::LD_K + col);
            } else {
                const int k = ks * 16 + (lane & 7) + (lane >> 4) * 8;
                const int m = wm + 16 * i + ((lane >> 3) & 1) * 8;
                ldmatrix_x4_trans(af[i], sa + k * Tile::LD_MN + m);
            }
        }
#pragma unroll
        for (int jp = 0; jp < 2; ++jp) {
            uint32_t r[4];
            if (w_kmajor) {
                const int n = wn + 16 * jp + (lane & 7) + (lane >> 4) * 8;
                const int k = ks * 16 + ((lane >> 3) & 1) * 8;
                ldmatrix_x4(r, sb + n * Tile::LD_K + k);
            } else {
                const int k = ks * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
                const int n = wn + 16 * jp + (lane >> 4) * 8;
                ldmatrix_x4_trans(r, sb + k * Tile::LD_MN + n);
            }
            bfr[2 * jp][0] = r[0];
            bfr[2 * jp][1] = r[1];
            bfr[2 * jp + 1][0] = r[2];
            bfr[2 * jp + 1][1] = r[3];
        }
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
            for (int j = 0; j < 4; ++j) mma_16816<T>(acc[i][j], af[i], bfr[j][0], bfr[j][1]);
    }
}

// The fp32 stage: tf32 m16n8k8, fragments read element by element.
template <>
__device__ __forceinline__ void mma_stage<float>(float (&acc)[4][4][4], const float *sa,
                                                 const float *sb, bool a_kmajor,
                                                 bool w_kmajor, int wm, int wn, int lane) {
    using Tile = MmaTile<float>;
    const int g = lane >> 2;
    const int t = lane & 3;
    auto at = [&](int m, int k) {
        return to_tf32(a_kmajor ? sa[m * Tile::LD_K + k] : sa[k * Tile::LD_MN + m]);
    };
    auto bt = [&](int k, int n) {
        return to_tf32(w_kmajor ? sb[n * Tile::LD_K + k] : sb[k * Tile::LD_MN + n]);
    };
#pragma unroll
    for (int ks = 0; ks < Tile::BK / 8; ++ks) {
        const int k0 = ks * 8 + t;
        uint32_t af[4][4];
        uint32_t bfr[4][2];
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int r0 = wm + 16 * i + g;
            af[i][0] = at(r0, k0);
            af[i][1] = at(r0 + 8, k0);
            af[i][2] = at(r0, k0 + 4);
            af[i][3] = at(r0 + 8, k0 + 4);
        }
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int n = wn + 8 * j + g;
            bfr[j][0] = bt(k0, n);
            bfr[j][1] = bt(k0 + 4, n);
        }
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
            for (int j = 0; j < 4; ++j) mma_1688_tf32(acc[i][j], af[i], bfr[j][0], bfr[j][1]);
    }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) matmul_mma_kernel(GemmArgs p) {
    using Tile = MmaTile<T>;
    extern __shared__ __align__(16) unsigned char smem[];
    T *sa = reinterpret_cast<T *>(smem);
    T *sb = sa + kStages * Tile::ELEMS;

    const int64_t batch = blockIdx.z;
    const T *ga = static_cast<const T *>(p.a) + batch * p.a_sb;
    const T *gw = static_cast<const T *>(p.w) + batch * p.w_sb;
    const int m0 = blockIdx.y * kBM;
    const int n0 = blockIdx.x * kBN;
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int wm = (warp >> 2) * 64;
    const int wn = (warp & 3) * 32;
    const int ktiles = (p.k + Tile::BK - 1) / Tile::BK;

    float acc[4][4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;

    auto load_stage = [&](int slot, int kt) {
        const int k0 = kt * Tile::BK;
        load_tile<T>(sa + slot * Tile::ELEMS, ga, p.a_sm, p.a_sk, m0, p.m, k0, p.k,
                     p.a_kmajor, p.a_async);
        load_tile<T>(sb + slot * Tile::ELEMS, gw, p.w_sn, p.w_sk, n0, p.n, k0, p.k,
                     p.w_kmajor, p.w_async);
    };

    // pipeline: stages 0..kStages-2 in flight before the first product
#pragma unroll
    for (int s = 0; s < kStages - 1; ++s) {
        if (s < ktiles) load_stage(s, s);
        cp_async_commit();
    }

    for (int kt = 0; kt < ktiles; ++kt) {
        // tile kt has landed (for every thread, after the barrier)
        cp_async_wait<kStages - 2>();
        __syncthreads();

        // refill the slot that tile kt-1 used; every warp is past it
        const int next = kt + kStages - 1;
        if (next < ktiles) load_stage(next % kStages, next);
        cp_async_commit();

        const int slot = kt % kStages;
        mma_stage<T>(acc, sa + slot * Tile::ELEMS, sb + slot * Tile::ELEMS, p.a_kmajor,
                     p.w_kmajor, wm, wn, lane);
    }
    cp_async_wait<0>();

    // epilogue: each thread owns rows g, g+8 and columns 2t, 2t+1 of every 16x8 tile
    const int g = lane >> 2;
    const int t = lane & 3;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int row = m0 + wm + 16 * i + g;
            const int col = n0 + wn + 8 * j + 2 * t;
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int r = row + (e >> 1) * 8;
                const int c = col + (e & 1);
                if (r < p.m && c < p.n) store_output<T>(p, batch, r, c, acc[i][j][e]);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// wgmma kernel (sm_90a)
//
// Shared memory per stage, every tile 1024-byte aligned, rows of 64 elements (128 bytes)
// with the 128-byte swizzle: 16-byte chunk c of row r is stored at chunk c ^ (r % 8).
//   A:  [128 m][64 k]                        k-major, 8-row groups 1024 bytes apart
//   B:  [128 n][64 k]  (w k-major)           same layout as A
//       [2 halves of 64 n][64 k][64 n]       (w n-major) 8-k-row groups 1024 bytes apart,
//                                            the two n halves 8192 bytes apart

constexpr int kWgStages = 4;
constexpr int kWgTileBytes = 128 * 64 * 2;  // one operand tile: 16 KB
constexpr int kWgSmemBytes = kWgStages * 2 * kWgTileBytes + 1024;  // + alignment slack

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

constexpr int kWgBK = 64;

__device__ __forceinline__ uint64_t wgmma_desc(uint32_t addr, uint32_t lbo, uint32_t sbo) {
    uint64_t d = (addr & 0x3FFFF) >> 4;
    d |= static_cast<uint64_t>((lbo & 0x3FFFF) >> 4) << 16;
    d |= static_cast<uint64_t>((sbo & 0x3FFFF) >> 4) << 32;
    d |= static_cast<uint64_t>(1) << 62;  // 128-byte swizzle
    return d;
}

__device__ __forceinline__ void wgmma_fence() {
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wgmma_commit() {
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
template <int N> __device__ __forceinline__ void wgmma_wait() {
    asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}
// Keeps the compiler from moving accumulator reads or writes across a wgmma wait.
__device__ __forceinline__ void fence_accumulators(float (&d)[64]) {
#pragma unroll
    for (int i = 0; i < 64; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

#define GATUN_WGMMA_REGS                                                                   \
    "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "              \
    "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "    \
    "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "    \
    "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}"
#define GATUN_D4(i) "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3])
#define GATUN_WGMMA_OUTS                                                                   \
    GATUN_D4(0), GATUN_D4(4), GATUN_D4(8), GATUN_D4(12), GATUN_D4(16), GATUN_D4(20),     \
        GATUN_D4(24), GATUN_D4(28), GATUN_D4(32), GATUN_D4(36), GATUN_D4(40),            \
        GATUN_D4(44), GATUN_D4(48), GATUN_D4(52), GATUN_D4(56), GATUN_D4(60)
// d += A(desc a) x B(desc b), m64n128k16; trans_b = 1 reads B n-major.
#define GATUN_WGMMA(TYPE)                                                                  \
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"                               \
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32." TYPE "." TYPE " "          \
                 GATUN_WGMMA_REGS ", %64, %65, p, 1, 1, 0, %66;\n}\n"                      \
                 : GATUN_WGMMA_OUTS                                                        \
                 : "l"(desc_a), "l"(desc_b), "n"(TRANS_B))

template <typename T, int TRANS_B>
__device__ __forceinline__ void wgmma_m64n128k16(float (&d)[64], uint64_t desc_a,
                                                 uint64_t desc_b);
template <>
__device__ __forceinline__ void wgmma_m64n128k16<bf16, 0>(float (&d)[64], uint64_t desc_a,
                                                          uint64_t desc_b) {
    constexpr int TRANS_B = 0;
    GATUN_WGMMA("bf16");
}
template <>
__device__ __forceinline__ void wgmma_m64n128k16<bf16, 1>(float (&d)[64], uint64_t desc_a,
                                                          uint64_t desc_b) {
    constexpr int TRANS_B = 1;
    GATUN_WGMMA("bf16");
}
template <>
__device__ __forceinline__ void wgmma_m64n128k16<f16, 0>(float (&d)[64], uint64_t desc_a,
                                                         uint64_t desc_b) {
    constexpr int TRANS_B = 0;
    GATUN_WGMMA("f16");
}
template <>
__device__ __forceinline__ void wgmma_m64n128k16<f16, 1>(float (&d)[64], uint64_t desc_a,
                                                         uint64_t desc_b) {
    constexpr int TRANS_B = 1;
    GATUN_WGMMA("f16");
}

#endif  // __CUDA_ARCH_FEAT_SM90_ALL

// Issues this thread's cp.async chunks of one stage: a [128 m][64 k] and w either
// [128 n][64 k] (k-major) or [64 k][128 n] split into two 64-wide halves.
template <typename T, bool W_KMAJOR>
__device__ __forceinline__ void wgmma_load_stage(unsigned char *sa, unsigned char *sb,
                                                 const T *ga, const T *gw,
                                                 const GemmArgs &p, int m0, int n0,
                                                 int k0) {
    constexpr int kChunks = 128 * 64 * 2 / 16;  // 1024 per operand tile
#pragma unroll
    for (int i = 0; i < kChunks / 256; ++i) {
        const int c = threadIdx.x + i * 256;
        // a: row r of the tile, 16-byte chunk part along k
        {
            const int r = c >> 3;
            const int part = c & 7;
            const int m = m0 + r;
            const int k = k0 + part * 8;
            const int valid = m < p.m ? min(max(p.k - k, 0), 8) : 0;
            const T *src = valid > 0 ? ga + m * p.a_sm + k : ga;
            cp_async16(sa + r * 128 + ((part ^ (r & 7)) << 4), src, valid * 2);
        }
        if constexpr (W_KMAJOR) {
            const int r = c >> 3;
            const int part = c & 7;
            const int n = n0 + r;
            const int k = k0 + part * 8;
            const int valid = n < p.n ? min(max(p.k - k, 0), 8) : 0;
            const T *src = valid > 0 ? gw + n * p.w_sn + k : gw;
            cp_async16(sb + r * 128 + ((part ^ (r & 7)) << 4), src, valid * 2);
        } else {
            const int r = c >> 4;     // k row 0..63
            const int part = c & 15;  // 16-byte chunk along n, 0..15
            const int half = part >> 3;
            const int k = k0 + r;
            const int n = n0 + part * 8;
            const int valid = k < p.k ? min(max(p.n - n, 0), 8) : 0;
            const T *src = valid > 0 ? gw + k * p.w_sk + n : gw;
            cp_async16(sb + half * 8192 + r * 128 + (((part & 7) ^ (r & 7)) << 4), src,
                       valid * 2);
        }
    }
}

template <typename T, bool W_KMAJOR>
__global__ void __launch_bounds__(256, 1) matmul_wgmma_kernel(GemmArgs p) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    extern __shared__ __align__(16) unsigned char smem_raw[];
    // the swizzle pattern repeats every 1024 bytes and must start on such a boundary
    const uint32_t raw_addr = smem_addr(smem_raw);
    unsigned char *smem = smem_raw + ((1024 - (raw_addr & 1023)) & 1023);
    unsigned char *sa = smem;
    unsigned char *sb = smem + kWgStages * kWgTileBytes;

    const int64_t batch = blockIdx.z;
    const T *ga = static_cast<const T *>(p.a) + batch * p.a_sb;
    const T *gw = static_cast<const T *>(p.w) + batch * p.w_sb;
    const int m0 = blockIdx.y * 128;
    const int n0 = blockIdx.x * 128;
    const int wg = threadIdx.x >> 7;  // warpgroup: rows 64 wg .. 64 wg + 63 of the tile
    const int ktiles = (p.k + kWgBK - 1) / kWgBK;

    float d[64];
#pragma unroll
    for (int i = 0; i < 64; ++i) d[i] = 0.0f;

    // pipeline: tiles 0 and 1 in flight; tile kt+2 is issued while tile kt multiplies
    // and tile kt-1's wgmma may still run, so four slots are live at once
#pragma unroll
    for (int s = 0; s < 2; ++s) {
        if (s < ktiles)
            wgmma_load_stage<T, W_KMAJOR>(sa + s * kWgTileBytes, sb + s * kWgTileBytes, ga,
                                          gw, p, m0, n0, s * kWgBK);
        cp_async_commit();
    }

    for (int kt = 0; kt < ktiles; ++kt) {
        // tile kt has landed; make the generic-proxy writes visible to wgmma (async proxy)
        cp_async_wait<1>();
        asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
        __syncthreads();

        const int next = kt + 2;
        if (next < ktiles) {
            const int ns = next % kWgStages;
            wgmma_load_stage<T, W_KMAJOR>(sa + ns * kWgTileBytes, sb + ns * kWgTileBytes,
                                          ga, gw, p, m0, n0, next * kWgBK);
        }
        cp_async_commit();

        const int slot = kt % kWgStages;
        const uint32_t a_base = smem_addr(sa + slot * kWgTileBytes) + wg * 64 * 128;
        const uint32_t b_base = smem_addr(sb + slot * kWgTileBytes);
        fence_accumulators(d);
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < kWgBK / 16; ++kk) {
            // a k step of 16 is 32 bytes along a swizzled row; for n-major w it is two
            // 8-row groups, 2048 bytes
            const uint64_t desc_a = wgmma_desc(a_base + kk * 32, 16, 1024);
            const uint64_t desc_b = W_KMAJOR ? wgmma_desc(b_base + kk * 32, 16, 1024)
                                             : wgmma_desc(b_base + kk * 2048, 8192, 1024);
            wgmma_m64n128k16<T, W_KMAJOR ? 0 : 1>(d, desc_a, desc_b);
        }
        wgmma_commit();
        // tile kt-1's products are done, so its slot may be refilled after the next barrier
        wgmma_wait<1>();
        fence_accumulators(d);
    }
    wgmma_wait<0>();
    fence_accumulators(d);
    cp_async_wait<0>();

    // epilogue: warp w of the warpgroup owns rows 16w + g and 16w + g + 8; register
    // 4j + e holds column 8j + 2t + (e & 1)
    const int lane = threadIdx.x & 31;
    const int w = (threadIdx.x >> 5) & 3;
    const int g = lane >> 2;
    const int t = lane & 3;
    const int row = m0 + wg * 64 + w * 16 + g;
#pragma unroll
    for (int j = 0; j < 16; ++j) {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
            const int r = row + (e >> 1) * 8;
            const int c = n0 + 8 * j + 2 * t + (e & 1);
            if (r < p.m && c < p.n) store_output<T>(p, batch, r, c, d[4 * j + e]);
        }
    }
#endif  // __CUDA_ARCH_FEAT_SM90_ALL
}

// Writes 1 where this module's code for the running device was built for sm_90a, the
// only image in which matmul_wgmma_kernel has a body.
__global__ void wgmma_probe_kernel(int *out) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    *out = 1;
#else
    *out = 0;
#endif
}

// ---------------------------------------------------------------------------------------
// reference kernel

template <typename T> __global__ void matmul_reference_kernel(GemmArgs p) {
    const int col = blockIdx.x * blockDim.x + threadIdx.x;
    const int row = blockIdx.y * blockDim.y + threadIdx.y;
    const int64_t batch = blockIdx.z;
    if (row >= p.m || col >= p.n) return;
    const T *a = static_cast<const T *>(p.a) + batch * p.a_sb;
    const T *w = static_cast<const T *>(p.w) + batch * p.w_sb;
    float acc = 0.0f;
    for (int k = 0; k < p.k; ++k)
        acc += to_float(a[row * p.a_sm + k * p.a_sk]) * to_float(w[k * p.w_sk + col * p.w_sn]);
    store_output<T>(p, batch, row, col, acc);
}

// ---------------------------------------------------------------------------------------
// host side

std::mutex wgmma_mutex;
std::vector<int> wgmma_by_device;  // -1 unknown, 0 no, 1 yes

gatun_cuda_status device_has_wgmma(bool *yes) {
    int device = 0;
    GATUN_CUDA_CHECK(cudaGetDevice(&device));
    std::lock_guard<std::mutex> lock(wgmma_mutex);
    if (device < static_cast<int>(wgmma_by_device.size()) && wgmma_by_device[device] >= 0) {
        *yes = wgmma_by_device[device] == 1;
        return GATUN_CUDA_OK;
    }
    int major = 0, minor = 0;
    GATUN_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
    GATUN_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
    int answer = 0;
    if (major == 9 && minor == 0) {
        // Ask the loaded image itself: which cubin the driver picked is its choice.
        int *flag = nullptr;
        GATUN_CUDA_CHECK(cudaMalloc(&flag, sizeof(int)));
        wgmma_probe_kernel<<<1, 1>>>(flag);
        cudaError_t err = cudaGetLastError();
        if (err == cudaSuccess) err = cudaMemcpy(&answer, flag, sizeof(int),
                                                 cudaMemcpyDeviceToHost);
        cudaFree(flag);
        GATUN_CUDA_CHECK(err);
    }
    if (device >= static_cast<int>(wgmma_by_device.size()))
        wgmma_by_device.resize(device + 1, -1);
    wgmma_by_device[device] = answer;
    *yes = answer == 1;
    return GATUN_CUDA_OK;
}

// Chooses the shared-memory layout of one operand (k-major when k is contiguous or
// trivially so) and whether 16-byte cp.async loads are safe for it.
void operand_layout(const void *base, int64_t s_b, int64_t s_mn, int64_t s_k, int64_t batch,
                    int64_t ext_mn, int64_t ext_k, int elem, bool *kmajor, bool *async) {
    const bool k_unit = s_k == 1 || ext_k == 1;
    const bool mn_unit = s_mn == 1 || ext_mn == 1;
    *kmajor = k_unit || !mn_unit;
    const int64_t epc = 16 / elem;
    const bool batch_ok = batch == 1 || s_b % epc == 0;
    const bool rows_ok = *kmajor ? k_unit && (ext_mn == 1 || s_mn % epc == 0)
                                 : mn_unit && (ext_k == 1 || s_k % epc == 0);
    *async = aligned16(base) && batch_ok && rows_ok;
}

gatun_cuda_status matmul(bool reference, int32_t dtype, int64_t batch, int64_t m, int64_t n,
                         int64_t k, const void *a, const int64_t *a_strides, const void *w,
                         const int64_t *w_strides, const void *bias, int32_t activation,
                         const void *residual, const int64_t *r_strides, void *dst,
                         const int64_t *d_strides, void *stream) {
    if (!is_float_dtype(dtype))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    std::string("dtype must be F32, F16 or BF16, got ") + dtype_name(dtype));
    if (batch < 0 || m < 0 || n < 0 || k < 0)
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "batch, M, N, K must be >= 0, got batch=" + std::to_string(batch) +
                        ", M=" + std::to_string(m) + ", N=" + std::to_string(n) +
                        ", K=" + std::to_string(k));
    if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX || batch > 65535)
        return fail(GATUN_CUDA_ERR_UNSUPPORTED,
                    "M, N, K must be < 2^31 and batch <= 65535, got batch=" +
                        std::to_string(batch) + ", M=" + std::to_string(m) +
                        ", N=" + std::to_string(n) + ", K=" + std::to_string(k));
    if (!is_activation(activation))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "unknown activation " + std::to_string(activation));
    if (!a_strides || !w_strides || !d_strides || (residual && !r_strides))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT,
                    "a_strides, w_strides, d_strides (and r_strides with a residual) "
                    "must not be NULL");
    if (batch == 0 || m == 0 || n == 0) return GATUN_CUDA_OK;
    if (!dst || (k > 0 && (!a || !w)))
        return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "a, w and dst must not be NULL");

    GemmArgs p{};
    p.m = static_cast<int>(m);
    p.n = static_cast<int>(n);
    p.k = static_cast<int>(k);
    p.a = a;
    p.a_sb = a_strides[0]; p.a_sm = a_strides[1]; p.a_sk = a_strides[2];
    p.w = w;
    p.w_sb = w_strides[0]; p.w_sk = w_strides[1]; p.w_sn = w_strides[2];
    p.bias = bias;
    p.act = activation;
    p.res = residual;
    if (residual) { p.r_sb = r_strides[0]; p.r_sm = r_strides[1]; p.r_sn = r_strides[2]; }
    p.dst = dst;
    p.d_sb = d_strides[0]; p.d_sm = d_strides[1]; p.d_sn = d_strides[2];
    const int elem = dtype_size(dtype);
    operand_layout(a, p.a_sb, p.a_sm, p.a_sk, batch, m, k, elem, &p.a_kmajor, &p.a_async);
    operand_layout(w, p.w_sb, p.w_sn, p.w_sk, batch, n, k, elem, &p.w_kmajor, &p.w_async);
    cudaStream_t s = as_stream(stream);

    if (reference) {
        const dim3 block(16, 16);
        const dim3 grid(static_cast<unsigned>(ceil_div(n, 16)),
                        static_cast<unsigned>(ceil_div(m, 16)), static_cast<unsigned>(batch));
        if (grid.y > 65535)
            return fail(GATUN_CUDA_ERR_UNSUPPORTED,
                        "the reference kernel handles M <= 1048560, got M=" +
                            std::to_string(m));
        dispatch_float(dtype, [&](auto tag) {
            using T = typename decltype(tag)::type;
            matmul_reference_kernel<T><<<grid, block, 0, s>>>(p);
        });
        GATUN_CUDA_CHECK_LAUNCH("matmul_reference_kernel");
        return GATUN_CUDA_OK;
    }

    const dim3 grid(static_cast<unsigned>(ceil_div(n, kBN)),
                    static_cast<unsigned>(ceil_div(m, kBM)), static_cast<unsigned>(batch));
    if (grid.y > 65535)
        return fail(GATUN_CUDA_ERR_UNSUPPORTED,
                    "M must be <= 8388480, got M=" + std::to_string(m));

    bool wgmma = false;
    if (dtype != GATUN_F32 && p.a_kmajor && p.a_async && p.w_async)
        GATUN_CUDA_TRY(device_has_wgmma(&wgmma));
    if (wgmma) {
        auto launch = [&](auto kernel) -> gatun_cuda_status {
            GATUN_CUDA_TRY(
                allow_shared_memory(reinterpret_cast<const void *>(kernel), kWgSmemBytes));
            kernel<<<grid, 256, kWgSmemBytes, s>>>(p);
            GATUN_CUDA_CHECK_LAUNCH("matmul_wgmma_kernel");
            return GATUN_CUDA_OK;
        };
        if (dtype == GATUN_BF16)
            return p.w_kmajor ? launch(matmul_wgmma_kernel<bf16, true>)
                              : launch(matmul_wgmma_kernel<bf16, false>);
        return p.w_kmajor ? launch(matmul_wgmma_kernel<f16, true>)
                          : launch(matmul_wgmma_kernel<f16, false>);
    }

    return dispatch_float(dtype, [&](auto tag) -> gatun_cuda_status {
        using T = typename decltype(tag)::type;
        constexpr int smem = 2 * kStages * MmaTile<T>::ELEMS * sizeof(T);
        const void *kernel = reinterpret_cast<const void *>(matmul_mma_kernel<T>);
        GATUN_CUDA_TRY(allow_shared_memory(kernel, smem));
        matmul_mma_kernel<T><<<grid, kThreads, smem, s>>>(p);
        GATUN_CUDA_CHECK_LAUNCH("matmul_mma_kernel");
        return GATUN_CUDA_OK;
    });
}

}  // namespace
}  // namespace gatun_cuda

using namespace gatun_cuda;

extern "C" {

gatun_cuda_status gatun_cuda_has_wgmma(int32_t *has_wgmma) {
    begin("gatun_cuda_has_wgmma");
    if (!has_wgmma) return fail(GATUN_CUDA_ERR_INVALID_ARGUMENT, "has_wgmma must not be NULL");
    bool yes = false;
    GATUN_CUDA_TRY(device_has_wgmma(&yes));
    *has_wgmma = yes ? 1 : 0;
    return GATUN_CUDA_OK;
}

gatun_cuda_status gatun_cuda_matmul(int32_t dtype, int64_t batch, int64_t m, int64_t n,
                                    int64_t k, const void *a, const int64_t *a_strides,
                                    const void *w, const int64_t *w_strides,
                                    const void *bias, int32_t activation,
                                    const void *residual, const int64_t *r_strides,
                                    void *dst, const int64_t *d_strides, void *stream) {
    begin("gatun_cuda_matmul");
    return matmul(false, dtype, batch, m, n, k, a, a_strides, w, w_strides, bias, activation,
                  residual, r_strides, dst, d_strides, stream);
}

gatun_cuda_status gatun_cuda_matmul_reference(int32_t dtype, int64_t batch, int64_t m,
                                              int64_t n, int64_t k, const void *a,
                                              const int64_t *a_strides, const void *w,
                                              const int64_t *w_strides, const void *bias,
                                              int32_t activation, const void *residual,
                                              const int64_t *r_strides, void *dst,
                                              const int64_t *d_strides, void *stream) {
    begin("gatun_cuda_matmul_reference");
    return matmul(true, dtype, batch, m, n, k, a, a_strides, w, w_strides, bias, activation,
                  residual, r_strides, dst, d_strides, stream);
}

}  // extern "C"
