/*
 * gatun_cuda.h - the C ABI of Gatun's CUDA backend (libgatun_cuda.so), called through FFM.
 *
 * Conventions, shared by every function below (and by gatun.h, whose enums this reuses):
 *   - Every function returns a gatun_cuda_status. GATUN_CUDA_OK is 0; on anything else,
 *     gatun_cuda_last_error() returns a message for this thread's last failure, naming the
 *     function, the rule broken and the values seen (for a CUDA failure: the call, its
 *     source file and line, and the CUDA error name).
 *   - Tensor data pointers are device pointers (cudaMalloc, or any allocator handing out
 *     device memory on the current device). Shape and stride arrays (the *_strides
 *     arguments) are host pointers, read before the function returns.
 *   - Sizes, strides and offsets are int64_t and counted in elements, not bytes.
 *     A stride of 0 broadcasts that dimension.
 *   - Shape letters: B batch, T sequence length (Tq, Tk when they differ), H query heads,
 *     Hkv key/value heads, D head dim, C model width, V vocabulary, M/N/K matrix sizes.
 *   - stream is a cudaStream_t passed as void *; NULL is the legacy default stream. Kernels
 *     are queued on it and the function returns without waiting, except where a function
 *     says it synchronises. A failure inside a kernel (a bad pointer, say) is reported by
 *     a later call, as with any CUDA library.
 *   - dtype is a gatun_dtype. Every floating-point op accumulates in fp32 whatever the
 *     storage dtype; gamma/beta of the norms and additive masks are always fp32.
 *   - Nothing here keeps a pointer after it returns, and nothing allocates memory the
 *     caller must free (gatun_cuda_malloc aside). Ops that need scratch memory take it
 *     stream-ordered (cudaMallocAsync) and give it back on the same stream.
 *   - Each op has a twin, gatun_cuda_<op>_reference, with the same arguments: a plain
 *     kernel (one thread per output element or row, fp32 arithmetic, no tensor cores)
 *     that is obviously correct and slow, kept so that a GPU run can compare the fast
 *     kernel with it.
 */
#ifndef GATUN_CUDA_H
#define GATUN_CUDA_H

#include <stdint.h>

#include "gatun.h" /* gatun_dtype, gatun_activation, gatun_binary_op */

#ifdef __cplusplus
extern "C" {
#endif

/* Raised whenever a signature below changes; the Java bindings check it at load time. */
#define GATUN_CUDA_ABI_VERSION 1

/* The numbers match gatun_status, so one Java mapping serves both libraries. */
typedef enum {
    GATUN_CUDA_OK = 0,
    GATUN_CUDA_ERR_INVALID_ARGUMENT = 1, /* a shape, stride, dtype, id or pointer breaks a rule */
    GATUN_CUDA_ERR_UNSUPPORTED = 2,      /* valid, but not implemented for this dtype/layout */
    GATUN_CUDA_ERR_CUDA = 3,             /* the CUDA runtime failed; the message names the call */
    GATUN_CUDA_ERR_OUT_OF_MEMORY = 4,    /* a device allocation failed */
    GATUN_CUDA_ERR_INTERNAL = 5          /* a bug in Gatun */
} gatun_cuda_status;

/* --- library and devices ---------------------------------------------------------------- */

/* Returns GATUN_CUDA_ABI_VERSION as compiled into the library. */
GATUN_API int32_t gatun_cuda_abi_version(void);

/* The message of this thread's last failed call; "" if none. Valid until the next call
 * on the same thread. */
GATUN_API const char *gatun_cuda_last_error(void);

/* The number of CUDA devices. With no driver or no device this is 0 and the status is
 * GATUN_CUDA_OK; gatun_cuda_last_error() then says why there is none. */
GATUN_API gatun_cuda_status gatun_cuda_device_count(int32_t *count);

/* Describes one device. name receives a NUL-terminated name, cut to name_capacity bytes.
 * cc_major/cc_minor: compute capability; sm_count: multiprocessors; total_bytes: global
 * memory. Any output may be NULL. */
GATUN_API gatun_cuda_status gatun_cuda_device_info(int32_t device, char *name,
                                                   int64_t name_capacity,
                                                   int32_t *cc_major, int32_t *cc_minor,
                                                   int32_t *sm_count, int64_t *total_bytes);

/* Selects the device for this thread's later calls (cudaSetDevice). */
GATUN_API gatun_cuda_status gatun_cuda_set_device(int32_t device);

/* The current device of this thread. */
GATUN_API gatun_cuda_status gatun_cuda_get_device(int32_t *device);

/* Free and total memory of the current device, in bytes. */
GATUN_API gatun_cuda_status gatun_cuda_mem_info(int64_t *free_bytes, int64_t *total_bytes);

/* Whether gatun_cuda_matmul takes the sm_90a path (wgmma) on the current device for
 * eligible inputs: 1 when the library carries sm_90a code and the device runs it, else 0. */
GATUN_API gatun_cuda_status gatun_cuda_has_wgmma(int32_t *has_wgmma);

/* --- memory and streams ----------------------------------------------------------------- */

/* Allocates bytes of device memory on the current device; *ptr is NULL for 0 bytes. */
GATUN_API gatun_cuda_status gatun_cuda_malloc(int64_t bytes, void **ptr);

/* Frees memory from gatun_cuda_malloc; NULL is a no-op. Waits for queued work first. */
GATUN_API gatun_cuda_status gatun_cuda_free(void *ptr);

/* Copies bytes between any two of host and device memory, queued on stream. From or to
 * pageable host memory the copy has finished when this returns; with device or pinned
 * memory on both sides it may still be running. */
GATUN_API gatun_cuda_status gatun_cuda_memcpy(void *dst, const void *src, int64_t bytes,
                                              void *stream);

/* Sets bytes of device memory to the byte value (0..255), queued on stream. */
GATUN_API gatun_cuda_status gatun_cuda_memset(void *dst, int32_t value, int64_t bytes,
                                              void *stream);

/* Creates a non-blocking stream on the current device. */
GATUN_API gatun_cuda_status gatun_cuda_stream_create(void **stream);

/* Destroys a stream from gatun_cuda_stream_create once its queued work has finished. */
GATUN_API gatun_cuda_status gatun_cuda_stream_destroy(void *stream);

/* Waits until all work queued on stream has finished; a kernel's failure surfaces here. */
GATUN_API gatun_cuda_status gatun_cuda_stream_synchronize(void *stream);

/* --- matmul ----------------------------------------------------------------------------
 * dst[b] = act(a[b] x w[b] + bias) + residual[b]   for b in [0, batch)
 *   a:        [batch, M, K]  strides a_strides[3]   (transpose a by swapping the strides)
 *   w:        [batch, K, N]  strides w_strides[3]   (w_strides[0] = 0 shares one matrix;
 *             a [N, K] weight is w with strides {0, 1, K})
 *   bias:     [N] contiguous, or NULL
 *   residual: [batch, M, N]  strides r_strides[3], or NULL (r_strides may then be NULL)
 *   dst:      [batch, M, N]  strides d_strides[3]; must not alias a, w or bias
 * a, w, bias, residual and dst share one dtype: F32, BF16 or F16. Any M, N, K >= 0 and any
 * strides work. BF16/F16 run on tensor cores (wgmma on sm_90a when a is K-contiguous and
 * a and w are 16-byte aligned with row strides that are multiples of 8; mma.sync
 * otherwise); F32 runs on tensor cores as TF32 (10-bit mantissa products, fp32 sums), so
 * expect about 1e-3 relative error; the reference computes in plain fp32. batch is at
 * most 65535. */
GATUN_API gatun_cuda_status gatun_cuda_matmul(int32_t dtype, int64_t batch, int64_t m,
                                              int64_t n, int64_t k,
                                              const void *a, const int64_t *a_strides,
                                              const void *w, const int64_t *w_strides,
                                              const void *bias, int32_t activation,
                                              const void *residual, const int64_t *r_strides,
                                              void *dst, const int64_t *d_strides,
                                              void *stream);

GATUN_API gatun_cuda_status gatun_cuda_matmul_reference(
    int32_t dtype, int64_t batch, int64_t m, int64_t n, int64_t k,
    const void *a, const int64_t *a_strides, const void *w, const int64_t *w_strides,
    const void *bias, int32_t activation, const void *residual, const int64_t *r_strides,
    void *dst, const int64_t *d_strides, void *stream);

/* --- normalisation ---------------------------------------------------------------------
 * x = src + residual (residual may be NULL); sum_dst, when not NULL, receives x.
 * layer norm: dst = (x - mean(x)) / sqrt(var(x) + eps) * gamma + beta, over each row of C.
 *   The variance is computed from centred values, in fp32.
 * rms norm:   dst = x / sqrt(mean(x^2) + eps) * gamma.
 *   src, residual, dst, sum_dst: [rows, C] with row strides (*_ld >= C), one dtype.
 *   gamma, beta: fp32 [C], or NULL for 1 and 0.
 * With a residual and a 16-bit dtype, x is rounded to the dtype before the statistics, so
 * that dst is exactly the norm of what sum_dst holds. dst and sum_dst may alias src or
 * residual (in-place). The fast kernel holds a row in shared memory: C is at most 32768. */
GATUN_API gatun_cuda_status gatun_cuda_layer_norm(int32_t dtype, int64_t rows, int64_t c,
                                                  const void *src, int64_t src_ld,
                                                  const void *residual, int64_t residual_ld,
                                                  const float *gamma, const float *beta,
                                                  float eps, void *dst, int64_t dst_ld,
                                                  void *sum_dst, int64_t sum_ld,
                                                  void *stream);

GATUN_API gatun_cuda_status gatun_cuda_layer_norm_reference(
    int32_t dtype, int64_t rows, int64_t c, const void *src, int64_t src_ld,
    const void *residual, int64_t residual_ld, const float *gamma, const float *beta,
    float eps, void *dst, int64_t dst_ld, void *sum_dst, int64_t sum_ld, void *stream);

GATUN_API gatun_cuda_status gatun_cuda_rms_norm(int32_t dtype, int64_t rows, int64_t c,
                                                const void *src, int64_t src_ld,
                                                const void *residual, int64_t residual_ld,
                                                const float *gamma, float eps,
                                                void *dst, int64_t dst_ld,
                                                void *sum_dst, int64_t sum_ld,
                                                void *stream);

GATUN_API gatun_cuda_status gatun_cuda_rms_norm_reference(
    int32_t dtype, int64_t rows, int64_t c, const void *src, int64_t src_ld,
    const void *residual, int64_t residual_ld, const float *gamma, float eps,
    void *dst, int64_t dst_ld, void *sum_dst, int64_t sum_ld, void *stream);

/* --- softmax ---------------------------------------------------------------------------
 * dst = softmax(scale * src + mask) over the last axis, computed as exp(x - max) / sum.
 *   src, dst: [rows, cols] with row strides; dst may alias src.
 *   mask:     fp32 [rows, cols] with row stride mask_ld (0: one row for all), or NULL.
 * A row whose entries are all -inf after masking is written as zeros. */
GATUN_API gatun_cuda_status gatun_cuda_softmax(int32_t dtype, int64_t rows, int64_t cols,
                                               const void *src, int64_t src_ld, float scale,
                                               const float *mask, int64_t mask_ld,
                                               void *dst, int64_t dst_ld, void *stream);

GATUN_API gatun_cuda_status gatun_cuda_softmax_reference(
    int32_t dtype, int64_t rows, int64_t cols, const void *src, int64_t src_ld, float scale,
    const float *mask, int64_t mask_ld, void *dst, int64_t dst_ld, void *stream);

/* --- attention -------------------------------------------------------------------------
 * dst = softmax(scale * q k^T + mask) v, per batch and query head, without ever holding
 * the Tq x Tk scores in memory (flash attention: online softmax over key tiles).
 *   q:   [B, H, Tq, D]    strides q_strides[4], q_strides[3] == 1
 *   k,v: [B, Hkv, Tk, D]  strides k_strides[4], v_strides[4], last stride 1; H must be a
 *        multiple of Hkv, query head h reads key/value head h / (H / Hkv)
 *   mask: fp32 additive [B, H, Tq, Tk] with strides mask_strides[4] (0 broadcasts), or NULL
 *   key_lengths: int32 [B] (device); keys at positions >= key_lengths[b] are masked; or NULL
 *   causal: when non-zero, query i sees keys j <= i + (Tk - Tq) (bottom-right aligned,
 *        so a single new query sees the whole cache)
 *   dst: [B, H, Tq, D] strides d_strides[4], d_strides[3] == 1
 * q, k, v and dst share one dtype: BF16 or F16 (tensor cores for D = 32, 64, 128 with
 * 16-byte aligned rows; any other D up to 256 on a slower fp32 kernel), or F32 (the slower
 * kernel). A query row with every key masked outputs zeros. For few query rows over a long
 * cache (decoding) the keys are split across blocks and merged by a second kernel, using
 * Tq*B*H*splits*(D+2) floats of stream-ordered scratch. Unlike gatun_attention there is no
 * weights output: attention probabilities need the scores materialised (matmul, softmax). */
GATUN_API gatun_cuda_status gatun_cuda_attention(int32_t dtype, int64_t b, int64_t h,
                                                 int64_t hkv, int64_t tq, int64_t tk,
                                                 int64_t d,
                                                 const void *q, const int64_t *q_strides,
                                                 const void *k, const int64_t *k_strides,
                                                 const void *v, const int64_t *v_strides,
                                                 float scale, int32_t causal,
                                                 const float *mask,
                                                 const int64_t *mask_strides,
                                                 const int32_t *key_lengths,
                                                 void *dst, const int64_t *d_strides,
                                                 void *stream);

GATUN_API gatun_cuda_status gatun_cuda_attention_reference(
    int32_t dtype, int64_t b, int64_t h, int64_t hkv, int64_t tq, int64_t tk, int64_t d,
    const void *q, const int64_t *q_strides, const void *k, const int64_t *k_strides,
    const void *v, const int64_t *v_strides, float scale, int32_t causal,
    const float *mask, const int64_t *mask_strides, const int32_t *key_lengths,
    void *dst, const int64_t *d_strides, void *stream);

/* --- rotary position embedding -----------------------------------------------------------
 * Rotates pairs of x by angle pos * theta^(-2i/D), i in [0, D/2), in fp32:
 *   interleaved != 0: pairs (2i, 2i+1)      (llama2.c, GPT-J)
 *   interleaved == 0: pairs (i, i + D/2)     (HF Llama, GPT-NeoX)
 *   src, dst: [B, H, T, D] with strides[4], last stride 1; D even; dst may alias src
 *   positions: int32 [T] (device), the absolute position of each step */
GATUN_API gatun_cuda_status gatun_cuda_rope(int32_t dtype, int64_t b, int64_t h, int64_t t,
                                            int64_t d,
                                            const void *src, const int64_t *src_strides,
                                            const int32_t *positions, float theta,
                                            int32_t interleaved,
                                            void *dst, const int64_t *dst_strides,
                                            void *stream);

GATUN_API gatun_cuda_status gatun_cuda_rope_reference(
    int32_t dtype, int64_t b, int64_t h, int64_t t, int64_t d,
    const void *src, const int64_t *src_strides, const int32_t *positions, float theta,
    int32_t interleaved, void *dst, const int64_t *dst_strides, void *stream);

/* --- elementwise -------------------------------------------------------------------------
 * gatun_cuda_binary: dst[i] = a[i] op b[i % b_len], i in [0, n); b_len divides n (bias
 *   rows, scalars). gatun_cuda_unary: dst[i] = act(src[i]). All contiguous; dst may alias
 *   an input. gatun_cuda_convert: dst[i] = (dst_dtype) src[i] between F32, F16 and BF16
 *   (round to nearest even); equal dtypes copy. */
GATUN_API gatun_cuda_status gatun_cuda_binary(int32_t op, int32_t dtype, int64_t n,
                                              const void *a, const void *b, int64_t b_len,
                                              void *dst, void *stream);

GATUN_API gatun_cuda_status gatun_cuda_binary_reference(int32_t op, int32_t dtype,
                                                        int64_t n, const void *a,
                                                        const void *b, int64_t b_len,
                                                        void *dst, void *stream);

GATUN_API gatun_cuda_status gatun_cuda_unary(int32_t activation, int32_t dtype, int64_t n,
                                             const void *src, void *dst, void *stream);

GATUN_API gatun_cuda_status gatun_cuda_unary_reference(int32_t activation, int32_t dtype,
                                                       int64_t n, const void *src,
                                                       void *dst, void *stream);

GATUN_API gatun_cuda_status gatun_cuda_convert(int32_t src_dtype, int32_t dst_dtype,
                                               int64_t n, const void *src, void *dst,
                                               void *stream);

GATUN_API gatun_cuda_status gatun_cuda_convert_reference(int32_t src_dtype,
                                                         int32_t dst_dtype, int64_t n,
                                                         const void *src, void *dst,
                                                         void *stream);

/* --- embedding ---------------------------------------------------------------------------
 * dst[i, :] = table[ids[i], :]
 *   table: [V, C] with row stride table_ld;  ids: int32 [n] (device), each in [0, V)
 *   dst:   [n, C] with row stride dst_ld.
 * The ids are checked on the device first; an id out of range fails with
 * GATUN_CUDA_ERR_INVALID_ARGUMENT (naming the first bad position and its id) before any
 * write. That check synchronises the stream once per call, so this op cannot be captured
 * in a CUDA graph. */
GATUN_API gatun_cuda_status gatun_cuda_embedding(int32_t dtype, int64_t v, int64_t c,
                                                 const void *table, int64_t table_ld,
                                                 int64_t n, const int32_t *ids,
                                                 void *dst, int64_t dst_ld, void *stream);

GATUN_API gatun_cuda_status gatun_cuda_embedding_reference(int32_t dtype, int64_t v,
                                                           int64_t c, const void *table,
                                                           int64_t table_ld, int64_t n,
                                                           const int32_t *ids, void *dst,
                                                           int64_t dst_ld, void *stream);

#ifdef __cplusplus
}
#endif

#endif /* GATUN_CUDA_H */
