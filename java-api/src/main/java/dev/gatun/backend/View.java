package dev.gatun.backend;

import dev.gatun.DType;
import dev.gatun.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A tensor's memory as the Java backend reads it: the segment from the tensor's first
 * element, its dtype, shape and strides (in elements). Reads and writes convert between
 * the storage dtype and fp32, rounding to nearest even on the way out; layouts are unaligned,
 * so a view may start at any element.
 */
final class View {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort S16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    final MemorySegment seg;
    final DType dtype;
    private final long[] shape;
    private final long[] strides;

    private View(Tensor t) {
        this.seg = t.segment();
        this.dtype = t.dtype();
        this.shape = t.shape();
        this.strides = t.strides();
    }

    /** The view of {@code t}, or null for null. */
    static View of(Tensor t) {
        return t == null ? null : new View(t);
    }

    long dim(int i) {
        return shape[i];
    }

    long stride(int i) {
        return strides[i];
    }

    /** The element offset of index (i0, i1, ...) given as leading indices. */
    long at(long i0, long i1) {
        return i0 * strides[0] + i1 * strides[1];
    }

    long at(long i0, long i1, long i2) {
        return i0 * strides[0] + i1 * strides[1] + i2 * strides[2];
    }

    long at(long i0, long i1, long i2, long i3) {
        return i0 * strides[0] + i1 * strides[1] + i2 * strides[2] + i3 * strides[3];
    }

    /** Reads n elements from element {@code at}, stepping {@code step}, into dst[off, off + n). */
    void read(long at, long step, int n, float[] dst, int off) {
        switch (dtype) {
            case F32 -> {
                if (step == 1) {
                    MemorySegment.copy(seg, F32, at * 4, dst, off, n);
                } else {
                    for (int i = 0; i < n; i++) {
                        dst[off + i] = seg.get(F32, (at + i * step) * 4);
                    }
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst[off + i] = DType.bf16ToFloat(seg.get(S16, (at + i * step) * 2));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst[off + i] = Float.float16ToFloat(seg.get(S16, (at + i * step) * 2));
                }
            }
            case I32 -> throw new IllegalArgumentException("java backend: cannot read I32 "
                    + "as floating-point data");
        }
    }

    /** Writes src[off, off + n) to n elements from element {@code at}, stepping {@code step}. */
    void write(long at, long step, int n, float[] src, int off) {
        switch (dtype) {
            case F32 -> {
                if (step == 1) {
                    MemorySegment.copy(src, off, seg, F32, at * 4, n);
                } else {
                    for (int i = 0; i < n; i++) {
                        seg.set(F32, (at + i * step) * 4, src[off + i]);
                    }
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    seg.set(S16, (at + i * step) * 2, DType.floatToBf16(src[off + i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    seg.set(S16, (at + i * step) * 2, Float.floatToFloat16(src[off + i]));
                }
            }
            case I32 -> throw new IllegalArgumentException("java backend: cannot write "
                    + "floating-point data as I32");
        }
    }

    /** The I32 element at element offset {@code at}. */
    int getInt(long at) {
        return seg.get(I32, at * 4);
    }

    /** All elements of an I32 view of rank 1, in order. */
    int[] ints() {
        int[] out = new int[Math.toIntExact(shape[0])];
        for (int i = 0; i < out.length; i++) {
            out[i] = getInt(i * strides[0]);
        }
        return out;
    }
}
