/*
 * gatun.h - the C ABI that Gatun's Java side calls through FFM (CPU backend, over oneDNN).
 *
 * Conventions, shared by every function below:
 *   - Every function returns a gatun_status. GATUN_OK is 0; on anything else,
 *     gatun_last_error() returns a message for this thread's last failure, naming the
 *     function, the rule broken and the values seen.
 *   - Nothing here allocates memory the caller must free, and nothing keeps a pointer
 *     after it returns. Outputs are written into caller-provided buffers.
 *   - Sizes, strides and offsets are int64_t and counted in elements, not bytes.
 *     A stride of 0 broadcasts that dimension.
 *   - Shape letters: B batch, T sequence length (Tq, Tk when they differ), H query heads,
 *     Hkv key/value heads, D head dim, C model width, V vocabulary, M/N/K matrix sizes.
 *   - dtype is a gatun_dtype. Every floating-point op accumulates in fp32 whatever the
 *     storage dtype; gamma/beta of the norms and additive masks are always fp32.
 *   - No function writes to an input, except where dst may alias src as documented.
 */
#ifndef GATUN_H
#define GATUN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GATUN_API __attribute__((visibility("default")))
#else
#define GATUN_API
#endif

/* Raised whenever a signature below changes; the Java bindings check it at load time. */
#define GATUN_ABI_VERSION 2

typedef enum {
    GATUN_OK = 0,
    GATUN_ERR_INVALID_ARGUMENT = 1, /* a shape, stride, dtype or pointer breaks a rule */
    GATUN_ERR_UNSUPPORTED = 2,      /* valid, but not implemented for this dtype/layout */
    GATUN_ERR_ONEDNN = 3,           /* oneDNN itself failed; the message carries its status */
    GATUN_ERR_OUT_OF_MEMORY = 4,    /* a scratch allocation failed */
    GATUN_ERR_INTERNAL = 5          /* a bug in Gatun */
} gatun_status;

typedef enum {
    GATUN_F32 = 0,
    GATUN_F16 = 1,
    GATUN_BF16 = 2,
    GATUN_I32 = 3
} gatun_dtype;

/* Activations, used fused after matmul and on their own by gatun_unary. */
typedef enum {
    GATUN_ACT_NONE = 0,
    GATUN_ACT_GELU_ERF = 1,  /* x/2 (1 + erf(x / sqrt 2)) */
    GATUN_ACT_GELU_TANH = 2, /* x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
    GATUN_ACT_SILU = 3       /* x sigmoid(x) */
} gatun_activation;

typedef enum {
    GATUN_BINARY_ADD = 0,
    GATUN_BINARY_MUL = 1
} gatun_binary_op;

/* --- library ---------------------------------------------------------------------------- */

/* Returns GATUN_ABI_VERSION as compiled into the library. */
GATUN_API int32_t gatun_abi_version(void);

/* The message of this thread's last failed call; "" if none. Valid until the next call
 * on the same thread. */
GATUN_API const char *gatun_last_error(void);

/* oneDNN primitives are created once per (op, shape, strides, dtype, flags) and cached.
 * created: primitives built so far; hits: calls served from the cache. Either may be NULL. */
GATUN_API gatun_status gatun_cache_stats(int64_t *created, int64_t *hits);

/* Host memory the library holds outside the caller's buffers, for leak checks.
 * scratch_bytes: per-thread scratch held now by all threads (grown on demand, bounded per
 *   thread, kept for the thread's life, freed when it exits);
 * scratch_threads: threads holding scratch now;
 * buffer_bytes: per-call buffers live now (0 whenever no call is running).
 * oneDNN's own memory (primitives, JIT code) is not counted. Any output may be NULL. */
GATUN_API gatun_status gatun_scratch_stats(int64_t *scratch_bytes, int64_t *scratch_threads,
                                           int64_t *buffer_bytes);

/* --- matmul ----------------------------------------------------------------------------
 * dst[b] = act(a[b] x w[b] + bias) + residual[b]   for b in [0, batch)
 *   a:        [batch, M, K]  strides a_strides[3]   (transpose a by swapping the strides)
 *   w:        [batch, K, N]  strides w_strides[3]   (w_strides[0] = 0 shares one matrix)
 *   bias:     [N] contiguous, or NULL
 *   residual: [batch, M, N]  strides r_strides[3], or NULL (r_strides may then be NULL)
 *   dst:      [batch, M, N]  strides d_strides[3]; must not alias a, w or bias
 * a, w, bias, residual and dst share one dtype: F32, BF16 or F16. In each matrix one of
 * the two inner strides must be 1. */
GATUN_API gatun_status gatun_matmul(int32_t dtype, int64_t batch, int64_t m, int64_t n,
                                    int64_t k,
                                    const void *a, const int64_t *a_strides,
                                    const void *w, const int64_t *w_strides,
                                    const void *bias, int32_t activation,
                                    const void *residual, const int64_t *r_strides,
                                    void *dst, const int64_t *d_strides);

/* --- packed weights --------------------------------------------------------------------
 * A weight that many matmuls multiply by can be reordered once into the blocked layout
 * oneDNN's matmul kernels read fastest on this CPU: at few rows (one sentence, one decoding
 * step) that saved about a third of the matmul time against a row-major [K, N] weight on
 * the 2-core Zen 4 measured, and a few percent at hundreds of rows. The layout is opaque and
 * valid only for this library on this CPU with the dtype, K and N it was packed for.
 * gatun_packed_weights_size: the bytes of a packed [K, N] weight of dtype, into *bytes;
 *   GATUN_ERR_UNSUPPORTED for a dtype oneDNN does not multiply on this CPU (F16 without
 *   AVX512-FP16), or a shape whose packed layout only oneDNN's reference kernel reads.
 * gatun_pack_weights: w [K, N] with strides w_strides[2] (one of them 1) into packed, a
 *   buffer of gatun_packed_weights_size bytes, 64-byte aligned.
 * gatun_matmul_packed: dst = act(a x w + bias) + residual with w packed; a [M, K],
 *   residual and dst [M, N] with strides[2]; otherwise as gatun_matmul. */
GATUN_API gatun_status gatun_packed_weights_size(int32_t dtype, int64_t k, int64_t n,
                                                 int64_t *bytes);

GATUN_API gatun_status gatun_pack_weights(int32_t dtype, int64_t k, int64_t n, const void *w,
                                          const int64_t *w_strides, void *packed);

GATUN_API gatun_status gatun_matmul_packed(int32_t dtype, int64_t m, int64_t n, int64_t k,
                                           const void *a, const int64_t *a_strides,
                                           const void *packed, const void *bias,
                                           int32_t activation, const void *residual,
                                           const int64_t *r_strides, void *dst,
                                           const int64_t *d_strides);

/* --- normalisation ---------------------------------------------------------------------
 * x = src + residual (residual may be NULL); sum_dst, when not NULL, receives x.
 * layer norm: dst = (x - mean(x)) / sqrt(var(x) + eps) * gamma + beta, over each row of C.
 *   Mean and variance (from centred values) are computed in double, from x in fp32.
 * rms norm:   dst = x / sqrt(mean(x^2) + eps) * gamma.
 *   src, residual, dst, sum_dst: [rows, C] with row strides (*_ld >= C), one dtype.
 *   gamma, beta: [C] fp32, or NULL for 1 and 0.
 * dst may alias src or residual (in-place). */
GATUN_API gatun_status gatun_layer_norm(int32_t dtype, int64_t rows, int64_t c,
                                        const void *src, int64_t src_ld,
                                        const void *residual, int64_t residual_ld,
                                        const float *gamma, const float *beta, float eps,
                                        void *dst, int64_t dst_ld,
                                        void *sum_dst, int64_t sum_ld);

GATUN_API gatun_status gatun_rms_norm(int32_t dtype, int64_t rows, int64_t c,
                                      const void *src, int64_t src_ld,
                                      const void *residual, int64_t residual_ld,
                                      const float *gamma, float eps,
                                      void *dst, int64_t dst_ld,
                                      void *sum_dst, int64_t sum_ld);

/* --- softmax ---------------------------------------------------------------------------
 * dst = softmax(scale * src + mask) over the last axis, computed as exp(x - max) / sum.
 *   src, dst: [rows, cols] with row strides; dst may alias src.
 *   mask:     fp32 [rows, cols] with row stride mask_ld (0: one row for all), or NULL.
 * A row whose entries are all -inf after masking is written as zeros. */
GATUN_API gatun_status gatun_softmax(int32_t dtype, int64_t rows, int64_t cols,
                                     const void *src, int64_t src_ld, float scale,
                                     const float *mask, int64_t mask_ld,
                                     void *dst, int64_t dst_ld);

/* --- attention -------------------------------------------------------------------------
 * dst = softmax(scale * q k^T + mask) v, per batch and query head.
 *   q:   [B, H, Tq, D]    strides q_strides[4]
 *   k,v: [B, Hkv, Tk, D]  strides k_strides[4], v_strides[4]; H must be a multiple of Hkv,
 *        query head h reads key/value head h / (H / Hkv)
 *   mask: fp32 additive [B, H, Tq, Tk] with strides mask_strides[4] (0 broadcasts), or NULL
 *   key_lengths: int32 [B]; keys at positions >= key_lengths[b] are masked; or NULL
 *   causal: when non-zero, query i sees keys j <= i + (Tk - Tq) (bottom-right aligned,
 *        so a single new query sees the whole cache)
 *   dst: [B, H, Tq, D] strides d_strides[4]
 *   weights: fp32 contiguous [B, H, Tq, Tk] receiving the attention probabilities, or NULL
 * q, k, v and dst share one dtype; their last stride (along D) is 1. A query row with every
 * key masked outputs zeros. */
GATUN_API gatun_status gatun_attention(int32_t dtype, int64_t b, int64_t h, int64_t hkv,
                                       int64_t tq, int64_t tk, int64_t d,
                                       const void *q, const int64_t *q_strides,
                                       const void *k, const int64_t *k_strides,
                                       const void *v, const int64_t *v_strides,
                                       float scale, int32_t causal,
                                       const float *mask, const int64_t *mask_strides,
                                       const int32_t *key_lengths,
                                       void *dst, const int64_t *d_strides,
                                       float *weights);

/* gatun_attention_ragged: attention over a ragged batch, n sequences laid end to end along
 * one axis of T = sum(lengths) positions, each query seeing only the keys of its own
 * sequence (with causal, only those at or before its own position).
 *   lengths: int32 [n], each >= 1
 *   q, dst: [H, T, D] strides q_strides[3], d_strides[3]
 *   k, v:   [Hkv, T, D] strides k_strides[3], v_strides[3]; H a multiple of Hkv
 * Otherwise as gatun_attention (one dtype, last strides 1). One call does the work of n
 * gatun_attention calls on the sequences' views. */
GATUN_API gatun_status gatun_attention_ragged(int32_t dtype, int64_t n,
                                              const int32_t *lengths, int64_t h,
                                              int64_t hkv, int64_t d,
                                              const void *q, const int64_t *q_strides,
                                              const void *k, const int64_t *k_strides,
                                              const void *v, const int64_t *v_strides,
                                              float scale, int32_t causal,
                                              void *dst, const int64_t *d_strides);

/* --- rotary position embedding -----------------------------------------------------------
 * Rotates pairs of x by angle pos * theta^(-2i/D), i in [0, D/2):
 *   interleaved != 0: pairs (2i, 2i+1)      (llama2.c, GPT-J)
 *   interleaved == 0: pairs (i, i + D/2)     (HF Llama, GPT-NeoX)
 *   src, dst: [B, H, T, D] with strides[4]; D even; dst may alias src (in-place)
 *   positions: int32 [T], the absolute position of each step */
GATUN_API gatun_status gatun_rope(int32_t dtype, int64_t b, int64_t h, int64_t t, int64_t d,
                                  const void *src, const int64_t *src_strides,
                                  const int32_t *positions, float theta,
                                  int32_t interleaved,
                                  void *dst, const int64_t *dst_strides);

/* --- elementwise -------------------------------------------------------------------------
 * gatun_binary: dst[i] = a[i] op b[i % b_len], i in [0, n); b_len divides n (bias rows,
 *   scalars). gatun_unary: dst[i] = act(src[i]). All contiguous; dst may alias an input.
 * gatun_convert: dst[i] = (dst_dtype) src[i] between F32, F16 and BF16 (round to nearest
 *   even). */
GATUN_API gatun_status gatun_binary(int32_t op, int32_t dtype, int64_t n,
                                    const void *a, const void *b, int64_t b_len, void *dst);

GATUN_API gatun_status gatun_unary(int32_t activation, int32_t dtype, int64_t n,
                                   const void *src, void *dst);

GATUN_API gatun_status gatun_convert(int32_t src_dtype, int32_t dst_dtype, int64_t n,
                                     const void *src, void *dst);

/* --- embedding ---------------------------------------------------------------------------
 * dst[i, :] = table[ids[i], :]
 *   table: [V, C] with row stride table_ld;  ids: int32 [n], each in [0, V)
 *   dst:   [n, C] with row stride dst_ld.  An id out of range fails before any write. */
GATUN_API gatun_status gatun_embedding(int32_t dtype, int64_t v, int64_t c,
                                       const void *table, int64_t table_ld,
                                       int64_t n, const int32_t *ids,
                                       void *dst, int64_t dst_ld);

#ifdef __cplusplus
}
#endif

#endif /* GATUN_H */
