package dev.gatun.nn;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.Tensor;

import java.util.Arrays;

/**
 * The keys and values of past positions, one preallocated [B, Hkv, Tmax, D] pair per layer,
 * so that decoding step t attends over t keys without recomputing them.
 *
 * <pre>{@code
 * KVCache cache = KVCache.allocate(ops, L, B, Hkv, Tmax, D, DType.F32); // in ops.scope()
 * y = attention.forward(stepOps, x, AttentionMask.CAUSAL, cache.layer(l), residual);
 * }</pre>
 *
 * <p>Each layer's {@link Layer#append} writes the new positions after the ones it holds;
 * a cache that would grow past Tmax throws {@link IllegalStateException} instead. The
 * memory belongs to the scope of the {@link Ops} passed to {@link #allocate}. Not
 * thread-safe: one decoding loop uses one cache.
 */
public final class KVCache {
    private final Layer[] layers;

    private KVCache(Layer[] layers) {
        this.layers = layers;
    }

    /**
     * Allocates {@code layerCount} zeroed layers of keys and values [B, Hkv, Tmax, D] in
     * {@code ops.scope()} on the backend's device.
     *
     * @throws IllegalArgumentException if a size is not positive or dtype is not floating
     */
    public static KVCache allocate(Ops ops, int layerCount, long batch, long kvHeads,
                                   long maxLength, long headDim, DType dtype) {
        if (layerCount <= 0 || batch <= 0 || kvHeads <= 0 || maxLength <= 0 || headDim <= 0
                || !dtype.isFloating()) {
            throw new IllegalArgumentException("KVCache: layers, B, Hkv, Tmax and D must be "
                    + "positive and the dtype floating, got layers=" + layerCount + ", B="
                    + batch + ", Hkv=" + kvHeads + ", Tmax=" + maxLength + ", D=" + headDim
                    + ", " + dtype);
        }
        Layer[] layers = new Layer[layerCount];
        for (int i = 0; i < layerCount; i++) {
            layers[i] = new Layer(i,
                    Tensors.zeros(ops, dtype, batch, kvHeads, maxLength, headDim),
                    Tensors.zeros(ops, dtype, batch, kvHeads, maxLength, headDim));
        }
        return new KVCache(layers);
    }

    /** L, the number of layers. */
    public int layerCount() {
        return layers.length;
    }

    /** The cache of layer {@code i}. */
    public Layer layer(int i) {
        if (i < 0 || i >= layers.length) {
            throw new IllegalArgumentException("KVCache: layer " + i + " out of range [0, "
                    + layers.length + ")");
        }
        return layers[i];
    }

    /** Tmax, the most positions a layer can hold. */
    public long maxLength() {
        return layers[0].maxLength();
    }

    /** The number of positions held by layer 0 (every layer after a full model step). */
    public long length() {
        return layers[0].length();
    }

    /**
     * Forgets positions from {@code length} on, in every layer; the next append writes there.
     *
     * @throws IllegalArgumentException unless 0 <= length <= each layer's length
     */
    public void truncate(long length) {
        for (Layer layer : layers) {
            layer.truncate(length);
        }
    }

    /** Empties every layer. */
    public void clear() {
        truncate(0);
    }

    /** One layer's keys and values: [B, Hkv, Tmax, D] each, the first length() positions set. */
    public static final class Layer {
        private final int index;
        private final Tensor keys;
        private final Tensor values;
        private long length;

        private Layer(int index, Tensor keys, Tensor values) {
            this.index = index;
            this.keys = keys;
            this.values = values;
        }

        /** The number of positions held. */
        public long length() {
            return length;
        }

        /** Tmax. */
        public long maxLength() {
            return keys.dim(2);
        }

        /** B. */
        public long batch() {
            return keys.dim(0);
        }

        /** Hkv. */
        public long kvHeads() {
            return keys.dim(1);
        }

        /** D. */
        public long headDim() {
            return keys.dim(3);
        }

        /** The dtype of the keys and values. */
        public DType dtype() {
            return keys.dtype();
        }

        /** The keys held, a view [B, Hkv, length, D] (no copy). */
        public Tensor keys() {
            return keys.slice(2, 0, length);
        }

        /** The values held, a view [B, Hkv, length, D] (no copy). */
        public Tensor values() {
            return values.slice(2, 0, length);
        }

        /**
         * Writes T new positions after the ones held.
         *
         * @param k [B, Hkv, T, D], any strides, the cache's dtype
         * @param v [B, Hkv, T, D], any strides, the cache's dtype
         * @throws IllegalArgumentException if a shape or dtype differs from the cache's
         * @throws IllegalStateException if length() + T would exceed Tmax
         */
        public void append(Ops ops, Tensor k, Tensor v) {
            long[] expected = {batch(), kvHeads(), -1, headDim()};
            checkStep("k", k, expected);
            checkStep("v", v, expected);
            if (!Arrays.equals(k.shape(), v.shape())) {
                throw new IllegalArgumentException("KVCache.append: k and v must have the same "
                        + "shape [B, Hkv, T, D]: k=" + k.describe() + ", v=" + v.describe());
            }
            long t = k.dim(2);
            if (length + t > maxLength()) {
                throw new IllegalStateException("KVCache.append: layer " + index + " holds "
                        + length + " of Tmax = " + maxLength() + " positions, cannot add "
                        + t + " more");
            }
            Tensors.copyInto(ops, k, keys.slice(2, length, length + t));
            Tensors.copyInto(ops, v, values.slice(2, length, length + t));
            length += t;
        }

        /**
         * Forgets positions from {@code newLength} on.
         *
         * @throws IllegalArgumentException unless 0 <= newLength <= length()
         */
        public void truncate(long newLength) {
            if (newLength < 0 || newLength > length) {
                throw new IllegalArgumentException("KVCache.truncate: layer " + index
                        + " holds " + length + " positions, cannot truncate to " + newLength);
            }
            length = newLength;
        }

        private void checkStep(String name, Tensor t, long[] expected) {
            boolean ok = t.rank() == 4 && t.dtype() == keys.dtype();
            for (int i = 0; ok && i < 4; i++) {
                ok = expected[i] < 0 || t.dim(i) == expected[i];
            }
            if (!ok) {
                throw new IllegalArgumentException("KVCache.append: " + name + " must be "
                        + keys.dtype() + " [B, Hkv, T, D] = [" + batch() + ", " + kvHeads()
                        + ", T, " + headDim() + "] (layer " + index + "), got "
                        + t.describe());
            }
        }
    }
}
