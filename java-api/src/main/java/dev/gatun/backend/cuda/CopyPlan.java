package dev.gatun.backend.cuda;

import dev.gatun.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Plans a copy between two strided tensors of one shape and dtype as a list of 2-D block
 * copies, each what one {@code cudaMemcpy2DAsync} does: {@code height} rows of
 * {@code width} bytes, rows {@code srcPitch} bytes apart in the source and {@code dstPitch}
 * bytes apart in the destination. Pure arithmetic on shapes and strides, so it is tested in
 * host memory ({@link #runOnHost}) where no GPU is present.
 *
 * <p>The plan, in three steps:
 * <ol>
 *   <li>drop dimensions of size 1 and merge neighbours that are laid out as one in both
 *       tensors (a contiguous copy becomes a single run);
 *   <li>a row is the innermost dimension when it is contiguous in both tensors, else one
 *       element; of the other dimensions, the longest whose strides are at least a row in
 *       both tensors becomes the height of each block, and the rest are looped over (one
 *       block per index);
 *   <li>an innermost dimension that the source broadcasts (stride 0) is filled in two
 *       passes: its first column is copied as above, then copied onto the rest of each row
 *       by doubling (columns [0, w) onto [w, 2w)), log2 of its length block copies.
 * </ol>
 * A block of one row is a plain 1-D copy, of any length; pitches stay at most
 * {@link #MAX_PITCH}. The count of blocks is the product of the looped dimensions: one per
 * head for the [B, T, H, D] to [B, H, T, D] copies of attention, one per element row when
 * neither tensor is contiguous in its last dimension (a transpose), which is slow but
 * correct.
 */
final class CopyPlan {
    /** The largest pitch cudaMemcpy2D takes (cudaDevAttrMaxPitch on every current GPU). */
    static final long MAX_PITCH = Integer.MAX_VALUE;

    private CopyPlan() {}

    /**
     * One 2-D block copy; offsets in bytes from the first element of each tensor. When
     * {@code fromDst}, the source is the destination itself (the doubling pass).
     */
    record Block(long dstOffset, long dstPitch, long srcOffset, long srcPitch, long width,
                 long height, boolean fromDst) {}

    /**
     * The blocks that copy every element of {@code src} into {@code dst}.
     *
     * @throws IllegalArgumentException if the shapes or dtypes differ, or dst repeats an
     *     element (a stride-0 dimension longer than 1)
     */
    static List<Block> of(Tensor src, Tensor dst) {
        if (!Arrays.equals(src.shape(), dst.shape()) || src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException("copy: src and dst must have the same shape and"
                    + " dtype: src=" + src.describe() + ", dst=" + dst.describe());
        }
        for (int i = 0; i < dst.rank(); i++) {
            if (dst.stride(i) == 0 && dst.dim(i) > 1) {
                throw new IllegalArgumentException("copy: dst must not repeat elements (stride"
                        + " 0 on dimension " + i + "): dst=" + dst);
            }
        }
        List<Block> blocks = new ArrayList<>();
        if (src.numel() == 0) {
            return blocks;
        }
        Layout l = Layout.merged(src.shape(), src.strides(), dst.strides());
        plan(l, src.dtype().byteSize(), 0, 0, blocks);
        return blocks;
    }

    /** Dimensions (none of size 1) with the strides of both tensors, in elements. */
    private record Layout(long[] n, long[] s, long[] d) {
        int rank() {
            return n.length;
        }

        /** Drops size-1 dimensions, then merges neighbours laid out as one in both. */
        static Layout merged(long[] shape, long[] src, long[] dst) {
            List<long[]> dims = new ArrayList<>(); // {n, s, d}, innermost first
            for (int i = shape.length - 1; i >= 0; i--) {
                if (shape[i] == 1) {
                    continue;
                }
                long[] inner = dims.isEmpty() ? null : dims.get(dims.size() - 1);
                if (inner != null && src[i] == inner[1] * inner[0]
                        && dst[i] == inner[2] * inner[0]) {
                    inner[0] *= shape[i];
                } else {
                    dims.add(new long[] {shape[i], src[i], dst[i]});
                }
            }
            int r = dims.size();
            long[] n = new long[r];
            long[] s = new long[r];
            long[] d = new long[r];
            for (int i = 0; i < r; i++) {
                long[] dim = dims.get(r - 1 - i);
                n[i] = dim[0];
                s[i] = dim[1];
                d[i] = dim[2];
            }
            return new Layout(n, s, d);
        }

        Layout withoutLast() {
            int r = rank() - 1;
            return new Layout(Arrays.copyOf(n, r), Arrays.copyOf(s, r), Arrays.copyOf(d, r));
        }
    }

    /** Appends the blocks of layout l, whose first elements sit at the given offsets. */
    private static void plan(Layout l, int elem, long srcOffset, long dstOffset,
                             List<Block> out) {
        int r = l.rank();
        if (r == 0) {
            out.add(new Block(dstOffset, elem, srcOffset, elem, elem, 1, false));
            return;
        }

        // 3. an innermost dimension the source broadcasts: first column, then doubling
        if (l.s[r - 1] == 0) {
            plan(l.withoutLast(), elem, srcOffset, dstOffset, out);
            fillByDoubling(l, elem, dstOffset, out);
            return;
        }

        // 2. the row, the block's height, and the dimensions looped over
        boolean unitRows = l.s[r - 1] == 1 && l.d[r - 1] == 1;
        int pitched = unitRows ? r - 1 : r;
        long width = (unitRows ? l.n[r - 1] : 1) * elem;
        int height = -1;
        for (int i = 0; i < pitched; i++) {
            long sp = l.s[i] * elem;
            long dp = l.d[i] * elem;
            boolean fits = sp >= width && dp >= width && sp <= MAX_PITCH && dp <= MAX_PITCH;
            if (fits && (height < 0 || l.n[i] > l.n[height])) {
                height = i;
            }
        }
        long rows = height < 0 ? 1 : l.n[height];
        long srcPitch = height < 0 ? width : l.s[height] * elem;
        long dstPitch = height < 0 ? width : l.d[height] * elem;

        long[] index = new long[pitched];
        long blocks = 1;
        for (int i = 0; i < pitched; i++) {
            blocks *= i == height ? 1 : l.n[i];
        }
        for (long b = 0; b < blocks; b++) {
            long so = srcOffset;
            long dOff = dstOffset;
            for (int i = 0; i < pitched; i++) {
                so += index[i] * l.s[i] * elem;
                dOff += index[i] * l.d[i] * elem;
            }
            out.add(new Block(dOff, dstPitch, so, srcPitch, width, rows, false));
            for (int i = pitched - 1; i >= 0; i--) {
                if (i == height) {
                    continue;
                }
                if (++index[i] < l.n[i]) {
                    break;
                }
                index[i] = 0;
            }
        }
    }

    /**
     * Fills columns [1, N) of every row of dst's innermost dimension (length N) from column
     * 0, doubling the filled width each pass. Rows form one pitched block when dst's outer
     * dimensions merge into one stride; otherwise each row is doubled on its own.
     */
    private static void fillByDoubling(Layout l, int elem, long dstOffset, List<Block> out) {
        int r = l.rank();
        long cols = l.n[r - 1];
        long colStride = l.d[r - 1] * elem;
        Layout outer = Layout.merged(Arrays.copyOf(l.n, r - 1), Arrays.copyOf(l.d, r - 1),
                Arrays.copyOf(l.d, r - 1));
        boolean oneBlock = colStride == elem && (outer.rank() == 0
                || (outer.rank() == 1 && outer.d[0] * elem <= MAX_PITCH));
        long rows = oneBlock && outer.rank() == 1 ? outer.n[0] : 1;
        long rowPitch = oneBlock && outer.rank() == 1 ? outer.d[0] * elem : cols * elem;

        List<Long> starts = new ArrayList<>();
        if (oneBlock) {
            starts.add(dstOffset);
        } else {
            long[] index = new long[outer.rank()];
            long count = 1;
            for (long n : outer.n) {
                count *= n;
            }
            for (long b = 0; b < count; b++) {
                long off = dstOffset;
                for (int i = 0; i < outer.rank(); i++) {
                    off += index[i] * outer.d[i] * elem;
                }
                starts.add(off);
                for (int i = outer.rank() - 1; i >= 0; i--) {
                    if (++index[i] < outer.n[i]) {
                        break;
                    }
                    index[i] = 0;
                }
            }
        }
        for (long start : starts) {
            for (long filled = 1; filled < cols; filled *= 2) {
                long count = Math.min(filled, cols - filled);
                if (colStride == elem) {
                    // count contiguous columns per row, rows rowPitch apart
                    out.add(new Block(start + filled * elem, rowPitch, start, rowPitch,
                            count * elem, rows, true));
                } else if (colStride <= MAX_PITCH) {
                    // one column element per block row
                    out.add(new Block(start + filled * colStride, colStride, start,
                            colStride, elem, count, true));
                } else {
                    for (long c = 0; c < count; c++) {
                        out.add(new Block(start + (filled + c) * colStride, elem,
                                start + c * colStride, elem, elem, 1, true));
                    }
                }
            }
        }
    }

    /**
     * Runs a plan on host memory, as the device would: src and dst start at their tensors'
     * first elements. For tests.
     */
    static void runOnHost(List<Block> plan, MemorySegment src, MemorySegment dst) {
        for (Block b : plan) {
            MemorySegment from = b.fromDst() ? dst : src;
            for (long row = 0; row < b.height(); row++) {
                MemorySegment.copy(from, b.srcOffset() + row * b.srcPitch(), dst,
                        b.dstOffset() + row * b.dstPitch(), b.width());
            }
        }
    }
}
