package dev.gatun.nn;

import dev.gatun.DType;
import dev.gatun.Device;
import dev.gatun.Ops;
import dev.gatun.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Small data movements the layers need besides the ops: index tensors from Java arrays,
 * results back into Java arrays, writing a tensor into a view of a larger one, and moving a
 * model's weights to the backend's device.
 *
 * <p>Every method works on any backend: on a device backend (CUDA) index tensors are built
 * in host memory and copied to the device, and read-backs copy to the host first (see
 * {@link Ops#toDevice} and {@link Ops#toHost}).
 */
public final class Tensors {
    private Tensors() {}

    /**
     * An I32 tensor of {@code shape} holding {@code data}, owned by {@code ops.scope()} on the
     * backend's device.
     *
     * @throws IllegalArgumentException if {@code data} does not fill {@code shape}
     */
    public static Tensor ints(Ops ops, int[] data, long... shape) {
        return ops.toDevice(Tensor.fromInts(ops.scope(), data, shape));
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
     * The positions of a ragged batch ({@link AttentionMask#ragged}) as I32 [N]: 0 to
     * lengths[i] - 1 for each sequence in turn, N the sum of the lengths.
     */
    public static Tensor raggedPositions(Ops ops, int[] lengths) {
        int n = 0;
        for (int len : lengths) {
            n += len;
        }
        int[] p = new int[n];
        int at = 0;
        for (int len : lengths) {
            for (int i = 0; i < len; i++) {
                p[at++] = i;
            }
        }
        return ints(ops, p, n);
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
     * The elements of host tensor {@code x} in row-major order as floats.
     *
     * @throws IllegalArgumentException if {@code x} is not in host memory (see
     *     {@link #toFloats(Ops, Tensor)})
     */
    public static float[] toFloats(Tensor x) {
        return x.toFloatArray();
    }

    /**
     * The elements of {@code x}, in host memory or on the backend's device, in row-major order
     * as floats; a device tensor is first copied to a host tensor owned by
     * {@code ops.scope()}.
     *
     * @throws IllegalArgumentException if {@code x} is on a device other than the backend's
     */
    public static float[] toFloats(Ops ops, Tensor x) {
        return ops.toHost(x).toFloatArray();
    }

    /**
     * The same weights on the backend's device: a map with the same keys and iteration order
     * whose tensors are the given ones where they are on the device already (for a CPU
     * backend, all of them: nothing is copied), otherwise contiguous copies owned by
     * {@code ops.scope()}. Load a model's weights in host memory, move them once with this,
     * then build the model from the result.
     *
     * <pre>{@code
     * Scope deviceWeights = Scope.open();                        // lives as long as the model
     * Map<String, Tensor> onGpu = Tensors.toDevice(new Ops(cuda, deviceWeights), hostWeights);
     * LlamaModel model = LlamaModel.fromWeights(onGpu, config, style);
     * }</pre>
     *
     * @throws IllegalArgumentException if a tensor is neither in host memory nor on the
     *     backend's device
     */
    public static Map<String, Tensor> toDevice(Ops ops, Map<String, Tensor> weights) {
        Map<String, Tensor> moved = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            moved.put(e.getKey(), ops.toDevice(e.getValue()));
        }
        return moved;
    }

    /**
     * Writes every element of {@code src} into {@code dst}, a view (for example a slice of a
     * cache) of the same shape and dtype, on the backend of {@code ops}.
     *
     * <p>In host memory the copy runs as one backend {@code convert} per block that is
     * contiguous in both tensors: a [B, Hkv, T, D] block written into a [B, Hkv, Tmax, D]
     * cache is B·Hkv calls. On a device it is one {@link dev.gatun.Backend#copy}.
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
        if (device != Device.CPU) {
            ops.backend().copy(src, dst); // one strided copy on the device
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
}
