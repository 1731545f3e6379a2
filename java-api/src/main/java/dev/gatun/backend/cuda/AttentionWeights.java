package dev.gatun.backend.cuda;

import dev.gatun.DType;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.bindings.gatun_cuda_h;
import dev.gatun.bindings.gatun_h;
import java.lang.foreign.MemorySegment;

/**
 * The attention probabilities for {@link CudaBackend#attention} when they are asked for:
 * the flash-attention kernels never hold them, so they are computed apart, in three steps
 * on the device and one on the host:
 * <ol>
 *   <li>scores = q k^T, one batched matmul per (batch, key head) in q's dtype;
 *   <li>for F16 and BF16, the scores converted to F32 into the weights;
 *   <li>on the host: one additive F32 mask [B, H, Tq, Tk] merging the caller's mask, the
 *       causal rule and the key lengths (those two read back from the device), sent to the
 *       device;
 *   <li>weights = softmax(scale * scores + mask), rows of Tk, in place.
 * </ol>
 * It waits for the device before returning (its scratch memory is freed then).
 */
final class AttentionWeights {
    private AttentionWeights() {}

    /**
     * q [B, H, Tq, D], k [B, Hkv, Tk, D] (last strides 1), mask a broadcast view
     * [B, H, Tq, Tk] or null, keyLengths I32 [B] or null, weights F32 contiguous
     * [B, H, Tq, Tk], all on the device.
     */
    static void compute(CudaBackend backend, Tensor q, Tensor k, float scale, boolean causal,
                        Tensor mask, Tensor keyLengths, Tensor weights) {
        String op = "attentionWithWeights";
        long b = q.dim(0);
        long h = q.dim(1);
        long tq = q.dim(2);
        long d = q.dim(3);
        long hkv = k.dim(1);
        long tk = k.dim(2);
        long group = h / hkv;
        MemorySegment stream = backend.stream();
        int es = q.dtype().byteSize();
        try (Scope scratch = Scope.open()) {
            // 1. scores [B, H, Tq, Tk] = q [g, Tq, D] x k^T [D, Tk] per (batch, key head)
            Tensor scores = q.dtype() == DType.F32 ? weights
                    : Cuda.allocateUncleared(scratch, q.dtype(), new long[] {b, h, tq, tk});
            CudaBackend.Strides s = CudaBackend.strides();
            MemorySegment qs = s.set(0, q.stride(1), q.stride(2), 1);
            MemorySegment ks = s.set(1, 0, 1, k.stride(2)); // k^T: K along D, N along Tk
            MemorySegment ds = s.set(2, tq * tk, tk, 1);
            for (long bi = 0; bi < b; bi++) {
                for (long kh = 0; kh < hkv; kh++) {
                    MemorySegment qp = q.segment().asSlice(
                            (bi * q.stride(0) + kh * group * q.stride(1)) * es);
                    MemorySegment kp = k.segment().asSlice(
                            (bi * k.stride(0) + kh * k.stride(1)) * es);
                    MemorySegment sp = scores.segment().asSlice((bi * h + kh * group)
                            * tq * tk * es);
                    int status = backend.isReference()
                            ? gatun_cuda_h.gatun_cuda_matmul_reference(q.dtype().code(),
                                    group, tq, tk, d, qp, qs, kp, ks, MemorySegment.NULL,
                                    gatun_h.GATUN_ACT_NONE, MemorySegment.NULL,
                                    MemorySegment.NULL, sp, ds, stream)
                            : gatun_cuda_h.gatun_cuda_matmul(q.dtype().code(), group, tq, tk,
                                    d, qp, qs, kp, ks, MemorySegment.NULL,
                                    gatun_h.GATUN_ACT_NONE, MemorySegment.NULL,
                                    MemorySegment.NULL, sp, ds, stream);
                    CudaBackend.check(op + ": scores", status);
                }
            }

            // 2. F32 scores in the weights
            long n = b * h * tq * tk;
            if (scores != weights) {
                int f32 = DType.F32.code();
                CudaBackend.check(op + ": convert", backend.isReference()
                        ? gatun_cuda_h.gatun_cuda_convert_reference(q.dtype().code(), f32, n,
                                scores.segment(), weights.segment(), stream)
                        : gatun_cuda_h.gatun_cuda_convert(q.dtype().code(), f32, n,
                                scores.segment(), weights.segment(), stream));
            }

            // 3. one additive mask for the caller's mask, causality and key lengths
            MemorySegment combined = MemorySegment.NULL;
            if (mask != null || causal || keyLengths != null) {
                Tensor host = hostMask(backend, scratch, mask, causal, keyLengths,
                        new long[] {b, h, tq, tk});
                Tensor device = Cuda.allocateUncleared(scratch, DType.F32, host.shape());
                Cuda.copy(host, device, stream);
                combined = device.segment();
            }

            // 4. weights = softmax(scale * scores + mask) over each row of Tk, in place
            MemorySegment w = weights.segment();
            CudaBackend.check(op + ": softmax", backend.isReference()
                    ? gatun_cuda_h.gatun_cuda_softmax_reference(DType.F32.code(), b * h * tq,
                            tk, w, tk, scale, combined, tk, w, tk, stream)
                    : gatun_cuda_h.gatun_cuda_softmax(DType.F32.code(), b * h * tq, tk, w, tk,
                            scale, combined, tk, w, tk, stream));
            CudaRuntime.streamSynchronize(stream); // before the scratch memory is freed
        }
    }

    /** The merged additive mask, F32 [B, H, Tq, Tk] in host memory owned by scratch. */
    private static Tensor hostMask(CudaBackend backend, Scope scratch, Tensor mask,
                                   boolean causal, Tensor keyLengths, long[] shape) {
        long b = shape[0];
        long h = shape[1];
        long tq = shape[2];
        long tk = shape[3];
        long n = b * h * tq * tk;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("attentionWithWeights: the merged mask"
                    + " [B, H, Tq, Tk] = [" + b + ", " + h + ", " + tq + ", " + tk
                    + "] is built in one host array, at most 2^31 - 1 floats");
        }
        float[] values = new float[(int) n];
        if (mask != null) {
            Tensor host = Tensor.allocate(scratch, DType.F32, shape);
            backend.copy(mask, host); // mask is a broadcast view of shape [B, H, Tq, Tk]
            values = host.toFloatArray();
        }
        int[] lengths = null;
        if (keyLengths != null) {
            Tensor host = Tensor.allocate(scratch, DType.I32, keyLengths.shape());
            backend.copy(keyLengths, host);
            lengths = host.toIntArray();
        }
        int at = 0;
        for (long bi = 0; bi < b; bi++) {
            long keys = lengths == null ? tk : lengths[(int) bi];
            for (long hi = 0; hi < h; hi++) {
                for (long i = 0; i < tq; i++) {
                    long lastCausal = i + tk - tq; // query i sees keys j <= i + Tk - Tq
                    for (long j = 0; j < tk; j++, at++) {
                        if (j >= keys || (causal && j > lastCausal)) {
                            values[at] = Float.NEGATIVE_INFINITY;
                        }
                    }
                }
            }
        }
        Tensor merged = Tensor.allocate(scratch, DType.F32, shape);
        merged.copyFrom(values);
        return merged;
    }
}
