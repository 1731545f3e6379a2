package dev.gatun.nn;

import dev.gatun.DType;
import dev.gatun.Device;
import dev.gatun.Ops;
import dev.gatun.Tensor;

import java.util.Arrays;

/**
 * Small data movements the layers need besides the ops: index tensors from Java arrays,
 * results back into Java arrays, and writing a tensor into a view of a larger one.
 *
 * <p>Limitation: index tensors ({@link #ints}, {@link #positions}) and read-backs
 * ({@link #toFloats}) are host memory, so they need a backend whose device is
 * {@link Device#CPU}; on another device they throw {@link IllegalStateException} naming the
 * backend.
 */
public final class Tensors {
    private Tensors() {}

    /**
     * An I32 tensor of {@code shape} holding {@code data}, owned by {@code ops.scope()} on the
     * backend's device.
     *
     * @throws IllegalArgumentException if {@code data} does not fill {@code shape}
     * @throws IllegalStateException if the backend's device is not the host
     */
    public static Tensor ints(Ops ops, int[] data, long... shape) {
        requireHost(ops, "Tensors.ints");
        return Tensor.fromInts(ops.scope(), data, shape);
    }

    /** Positions {@code start, start + 1, ..., start + count - 1} as I32 [count]. */
    public static Tensor positions(Ops ops, long start, long count) {
        int[] p = new int[Math.toIntExact(count)];
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.toIntExact(start + i);
        }
        return ints(ops, p, count);
    }

    /**
     * A zero-filled contiguous tensor owned by {@code ops.scope()} on the backend's device.
     *
     * @throws IllegalStateException if the scope is closed
     */
    public static Tensor zeros(Ops ops, DType dtype, long... shape) {
        return ops.backend().allocate(ops.scope(), dtype, shape);
    }

    /**
     * The elements of {@code x} in row-major order as floats.
     *
     * @throws IllegalArgumentException if {@code x} is not in host memory
     */
    public static float[] toFloats(Tensor x) {
        return x.toFloatArray();
    }

    /**
     * Writes every element of {@code src} into {@code dst}, a view (for example a slice of a
     * cache) of the same shape and dtype, on the backend of {@code ops}.
     *
     * <p>The copy runs as one backend {@code convert} per block that is contiguous in both
     * tensors: a [B, Hkv, T, D] block written into a [B, Hkv, Tmax, D] cache is B·Hkv calls.
     *
     * @param src [...] any strides
     * @param dst [...] the same shape and dtype, any strides; must not overlap src
     * @throws IllegalArgumentException if the shapes, dtypes or devices differ, or a tensor
     *     is not on the backend's device
     * @throws IllegalStateException if either tensor's scope is closed
     */
    public static void copyInto(Ops ops, Tensor src, Tensor dst) {
        String op = "Tensors.copyInto";
        src.checkAlive(op);
        dst.checkAlive(op);
        if (!Arrays.equals(src.shape(), dst.shape()) || src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException(op + ": src and dst must have the same shape "
                    + "and dtype: src=" + src.describe() + ", dst=" + dst.describe());
        }
        Device device = ops.backend().device();
        if (src.device() != device || dst.device() != device) {
            throw new IllegalArgumentException(op + ": src and dst must be on the backend's "
                    + "device " + device + ": src=" + src.describe() + ", dst="
                    + dst.describe());
        }
        if (src.numel() == 0) {
            return;
        }

        // the longest suffix of dimensions laid out contiguously in both tensors
        long[] shape = src.shape();
        int split = shape.length;
        long block = 1;
        while (split > 0 && (shape[split - 1] == 1
                || (src.stride(split - 1) == block && dst.stride(split - 1) == block))) {
            block *= shape[split - 1];
            split--;
        }

        // one contiguous block per index of the leading dimensions
        long[] index = new long[split];
        long blocks = 1;
        for (int i = 0; i < split; i++) {
            blocks *= shape[i];
        }
        for (long n = 0; n < blocks; n++) {
            ops.backend().convert(block(src, index, block), block(dst, index, block));
            for (int i = split - 1; i >= 0; i--) {
                if (++index[i] < shape[i]) {
                    break;
                }
                index[i] = 0;
            }
        }
    }

    /** The contiguous run of {@code length} elements of x that starts at {@code index}. */
    private static Tensor block(Tensor x, long[] index, long length) {
        Tensor t = x;
        for (long i : index) {
            t = t.select(0, i);
        }
        // the dimensions left are contiguous (the caller checked), so this view is exact
        return t.reshape(length);
    }

    private static void requireHost(Ops ops, String op) {
        if (ops.backend().device() != Device.CPU) {
            throw new IllegalStateException(op + ": backend '" + ops.backend().name()
                    + "' keeps tensors on " + ops.backend().device()
                    + "; the nn layers create index tensors in host memory only");
        }
    }
}
