package dev.gatun;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A typed, strided view of off-heap memory: dtype, shape, strides and a device.
 *
 * <pre>{@code
 * try (Scope scope = Scope.open()) {
 *     Tensor x = Tensor.fromFloats(scope, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
 *     Tensor xt = x.transpose(0, 1);          // a view: [3, 2], no copy
 *     float[] values = xt.toFloatArray();      // {1, 4, 2, 5, 3, 6}
 * }
 * }</pre>
 *
 * <p>Strides and offsets count elements, not bytes. A stride of 0 repeats one element along
 * its dimension (a broadcast view). Views share memory with the tensor they come from.
 *
 * <p>Device: tensors made here are in host memory ({@link Device#CPU}); tensors in GPU memory
 * ({@link Device#CUDA}) come from {@code dev.gatun.backend.cuda.Cuda} or from ops on the CUDA
 * backend. Views work on both, but Java never reads device memory: the element accessors
 * and copies below throw {@link IllegalArgumentException} for a device tensor (move it with
 * {@link Ops#toHost} first).
 *
 * <p>Ownership: a tensor made by {@link #allocate} or {@link #fromFloats} belongs to the scope
 * passed in; one made by {@link #wrap} belongs to whoever owns the wrapped segment. After that
 * owner closes, every method that touches memory throws {@link IllegalStateException}.
 * Tensors are safe to read from several threads; concurrent writes need the caller's care.
 */
public final class Tensor {
    private final MemorySegment base;
    private final long offset;
    private final DType dtype;
    private final long[] shape;
    private final long[] strides;
    private final Device device;

    private Tensor(MemorySegment base, long offset, DType dtype, long[] shape, long[] strides,
                   Device device) {
        this.base = base;
        this.offset = offset;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.device = device;
    }

    // ---- creation ---------------------------------------------------------------------------

    /**
     * Allocates a zero-filled, contiguous host tensor owned by {@code scope}.
     *
     * @throws IllegalArgumentException if a dimension is negative
     * @throws IllegalStateException if the scope is closed
     */
    public static Tensor allocate(Scope scope, DType dtype, long... shape) {
        long[] dims = checkShape("allocate", shape);
        long bytes = Math.multiplyExact(numel(dims), dtype.byteSize());
        MemorySegment segment = scope.allocate(bytes, 64);
        return new Tensor(segment, 0, dtype, dims, contiguousStrides(dims), Device.CPU);
    }

    /**
     * A contiguous host tensor owned by {@code scope} whose contents are unspecified, for a
     * result that is written in full before it is read (see
     * {@link Scope#allocateUninitialized}).
     */
    public static Tensor allocateUninitialized(Scope scope, DType dtype, long... shape) {
        long[] dims = checkShape("allocateUninitialized", shape);
        long bytes = Math.multiplyExact(numel(dims), dtype.byteSize());
        MemorySegment segment = scope.allocateUninitialized(bytes, 64);
        return new Tensor(segment, 0, dtype, dims, contiguousStrides(dims), Device.CPU);
    }

    /** Copies {@code data} into a new F32 tensor of the given shape owned by {@code scope}. */
    public static Tensor fromFloats(Scope scope, float[] data, long... shape) {
        return fromFloats(scope, DType.F32, data, shape);
    }

    /**
     * Copies {@code data} into a new tensor of {@code dtype}, rounding to nearest for F16 and
     * BF16.
     *
     * @throws IllegalArgumentException if {@code data.length} differs from the shape's size or
     *     the dtype is I32
     */
    public static Tensor fromFloats(Scope scope, DType dtype, float[] data, long... shape) {
        if (!dtype.isFloating()) {
            throw new IllegalArgumentException("fromFloats: dtype must be floating, got " + dtype);
        }
        Tensor t = allocate(scope, dtype, shape);
        t.copyFrom(data);
        return t;
    }

    /** Copies {@code data} into a new I32 tensor of the given shape owned by {@code scope}. */
    public static Tensor fromInts(Scope scope, int[] data, long... shape) {
        Tensor t = allocate(scope, DType.I32, shape);
        if (data.length != t.numel()) {
            throw new IllegalArgumentException("fromInts: " + data.length
                    + " values do not fill shape " + Arrays.toString(shape));
        }
        MemorySegment.copy(data, 0, t.base, ValueLayout.JAVA_INT_UNALIGNED, 0, data.length);
        return t;
    }

    /**
     * Wraps caller-owned host memory as a contiguous (row-major) tensor, without copying.
     *
     * @see #wrap(MemorySegment, DType, long[], long[], Device)
     */
    public static Tensor wrap(MemorySegment segment, DType dtype, long... shape) {
        long[] dims = checkShape("wrap", shape);
        return wrap(segment, dtype, dims, contiguousStrides(dims), Device.CPU);
    }

    /**
     * Wraps caller-owned memory as a tensor with the given strides, without copying: the
     * tensor reads and writes the caller's bytes, so writes through either side are seen by
     * the other.
     *
     * <pre>{@code
     * try (Arena arena = Arena.ofShared()) {                  // the caller owns the memory
     *     MemorySegment data = arena.allocate(ValueLayout.JAVA_FLOAT, 2 * 3);
     *     Tensor x = Tensor.wrap(data, DType.F32, 2, 3);      // [2, 3], no copy
     *     Tensor xt = Tensor.wrap(data, DType.F32, new long[] {3, 2}, new long[] {1, 3},
     *             Device.CPU);                                // the same bytes read as x^T
     *     try (Scope scope = Scope.open()) {
     *         Tensor y = new Ops(backend, scope).gelu(x);     // y belongs to scope
     *         MemorySegment out = y.segment();                // zero-copy, owned by scope
     *     }
     * }   // x and xt now throw IllegalStateException: their memory is gone
     * }</pre>
     *
     * <p>Lifetime: the segment's owner (its arena, or whatever scope it has) stays the owner.
     * Gatun never frees, resizes or keeps the memory alive: once the owner closes, every
     * method of the tensor and of its views that touches memory, and every op given it,
     * throws {@link IllegalStateException} (the JVM does not crash). Closing a shared arena
     * while an op on one of its tensors is in a native call fails in the caller's
     * {@code close()} instead. Results of ops are new tensors in the op's {@link Scope},
     * never in the wrapped memory.
     *
     * <p>Threads: a segment of a confined arena can be used only by its owner thread, and
     * the Java backend runs large ops on worker threads; wrap memory from a shared, global
     * or automatic arena to use it with every backend.
     *
     * <p>Host memory must be native (off-heap): a heap segment
     * ({@code MemorySegment.ofArray}) cannot be handed to native kernels, so it is refused;
     * copy an array in with {@link #fromFloats} instead. A read-only segment may be wrapped
     * for inputs: ops never write to their inputs.
     *
     * <p>For {@link Device#CUDA} the segment holds a device address, sized to the data
     * ({@code MemorySegment.ofAddress(ptr).reinterpret(bytes, arena, null)}, so that the
     * arena decides how long Gatun may use it) and is never dereferenced by Java.
     *
     * @param shape   the dimensions, each >= 0
     * @param strides elements (not bytes) between neighbours along each dimension, >= 0
     * @throws IllegalArgumentException if a dimension or stride is negative, the ranks
     *     differ, the view would reach outside the segment, or a host segment is on the
     *     Java heap
     * @throws IllegalStateException if the segment's owner has already closed
     */
    public static Tensor wrap(MemorySegment segment, DType dtype, long[] shape, long[] strides,
                              Device device) {
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("wrap: the segment's arena is already closed");
        }
        if (device == Device.CPU && !segment.isNative()) {
            throw new IllegalArgumentException("wrap: host memory must be native (off-heap);"
                    + " a heap segment of " + segment.byteSize() + " bytes cannot be passed to"
                    + " native kernels: copy it with Tensor.fromFloats or allocate it in an"
                    + " Arena");
        }
        long[] dims = checkShape("wrap", shape);
        if (strides.length != dims.length) {
            throw new IllegalArgumentException("wrap: strides " + Arrays.toString(strides)
                    + " must have one entry per dimension of shape " + Arrays.toString(dims));
        }
        long[] st = strides.clone();
        for (long s : st) {
            if (s < 0) {
                throw new IllegalArgumentException("wrap: negative strides are not supported: "
                        + Arrays.toString(st));
            }
        }
        Tensor t = new Tensor(segment, 0, dtype, dims, st, device);
        long needed = Math.multiplyExact(t.extent(), dtype.byteSize());
        if (needed > segment.byteSize()) {
            throw new IllegalArgumentException("wrap: shape " + Arrays.toString(dims)
                    + " with strides " + Arrays.toString(st) + " of " + dtype + " needs "
                    + needed + " bytes, segment has " + segment.byteSize());
        }
        return t;
    }

    // ---- properties -------------------------------------------------------------------------

    public DType dtype() {
        return dtype;
    }

    public Device device() {
        return device;
    }

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    /** A copy of the strides, in elements. */
    public long[] strides() {
        return strides.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}; negative {@code i} counts from the end. */
    public long dim(int i) {
        return shape[axis(i)];
    }

    /** Stride of dimension {@code i} in elements; negative {@code i} counts from the end. */
    public long stride(int i) {
        return strides[axis(i)];
    }

    /** Offset of the first element from the start of the underlying segment, in elements. */
    public long offset() {
        return offset;
    }

    /** Number of elements. */
    public long numel() {
        return numel(shape);
    }

    /** Whether the memory is still reachable (its owner has not closed). */
    public boolean isAlive() {
        return base.scope().isAlive();
    }

    /** Whether the elements are laid out row-major with no gaps. */
    public boolean isContiguous() {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /**
     * The memory this tensor views, starting at its first element and long enough to hold
     * every element it reaches. Zero-copy.
     *
     * @throws IllegalStateException if the owner of the memory has closed
     */
    public MemorySegment segment() {
        checkAlive("segment");
        long bytes = extent() * dtype.byteSize();
        return base.asSlice(offset * dtype.byteSize(), bytes);
    }

    /**
     * Throws {@link IllegalStateException} naming {@code op} if this tensor's memory has been
     * freed.
     */
    public void checkAlive(String op) {
        if (!base.scope().isAlive()) {
            throw new IllegalStateException(op + ": tensor " + describe()
                    + " belongs to a scope that is closed");
        }
    }

    /** One element past the furthest element reached, relative to {@link #offset()}. */
    long extent() {
        if (numel() == 0) {
            return 0;
        }
        long last = 0;
        for (int i = 0; i < shape.length; i++) {
            last += (shape[i] - 1) * strides[i];
        }
        return last + 1;
    }

    // ---- views ------------------------------------------------------------------------------

    /**
     * A view with a new shape over the same elements; one dimension may be -1 (inferred).
     *
     * @throws IllegalArgumentException if the sizes differ or this tensor is not contiguous
     */
    public Tensor reshape(long... newShape) {
        long[] dims = newShape.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1 && inferred < 0) {
                inferred = i;
            } else if (dims[i] < 0) {
                throw new IllegalArgumentException("reshape: bad shape "
                        + Arrays.toString(newShape));
            } else {
                known *= dims[i];
            }
        }
        if (inferred >= 0) {
            if (known == 0 || numel() % known != 0) {
                throw new IllegalArgumentException("reshape: cannot infer -1 in "
                        + Arrays.toString(newShape) + " from " + numel() + " elements");
            }
            dims[inferred] = numel() / known;
        }
        if (numel(dims) != numel()) {
            throw new IllegalArgumentException("reshape: shape " + Arrays.toString(shape)
                    + " has " + numel() + " elements, " + Arrays.toString(newShape) + " has "
                    + numel(dims));
        }
        if (!isContiguous()) {
            throw new IllegalArgumentException("reshape: tensor " + describe()
                    + " is not contiguous; copy it first with contiguous(scope)");
        }
        return new Tensor(base, offset, dtype, dims, contiguousStrides(dims), device);
    }

    /** A view with dimensions {@code a} and {@code b} swapped (no copy). */
    public Tensor transpose(int a, int b) {
        int i = axis(a);
        int j = axis(b);
        long[] s = shape.clone();
        long[] st = strides.clone();
        s[i] = shape[j];
        s[j] = shape[i];
        st[i] = strides[j];
        st[j] = strides[i];
        return new Tensor(base, offset, dtype, s, st, device);
    }

    /** A view with dimensions reordered: result dimension i is this tensor's {@code order[i]}. */
    public Tensor permute(int... order) {
        if (order.length != shape.length) {
            throw new IllegalArgumentException("permute: order " + Arrays.toString(order)
                    + " must list each of " + shape.length + " dimensions once");
        }
        long[] s = new long[order.length];
        long[] st = new long[order.length];
        boolean[] seen = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            int src = axis(order[i]);
            if (seen[src]) {
                throw new IllegalArgumentException("permute: dimension " + src
                        + " appears twice in " + Arrays.toString(order));
            }
            seen[src] = true;
            s[i] = shape[src];
            st[i] = strides[src];
        }
        return new Tensor(base, offset, dtype, s, st, device);
    }

    /**
     * A view of indices [start, end) along {@code dim} (no copy).
     *
     * @throws IllegalArgumentException unless 0 <= start <= end <= dim(dim)
     */
    public Tensor slice(int dim, long start, long end) {
        int i = axis(dim);
        if (start < 0 || end < start || end > shape[i]) {
            throw new IllegalArgumentException("slice: need 0 <= start <= end <= " + shape[i]
                    + " on dimension " + i + " of " + describe() + ", got [" + start + ", "
                    + end + ")");
        }
        long[] s = shape.clone();
        s[i] = end - start;
        return new Tensor(base, offset + start * strides[i], dtype, s, strides.clone(), device);
    }

    /** A view that drops dimension {@code dim} by fixing it at {@code index}. */
    public Tensor select(int dim, long index) {
        int i = axis(dim);
        Tensor sliced = slice(i, index, index + 1);
        long[] s = new long[shape.length - 1];
        long[] st = new long[shape.length - 1];
        for (int j = 0, k = 0; j < shape.length; j++) {
            if (j != i) {
                s[k] = shape[j];
                st[k++] = strides[j];
            }
        }
        return new Tensor(base, sliced.offset, dtype, s, st, device);
    }

    /** A view with a size-1 dimension inserted at {@code dim}. */
    public Tensor unsqueeze(int dim) {
        int i = dim < 0 ? dim + shape.length + 1 : dim;
        if (i < 0 || i > shape.length) {
            throw new IllegalArgumentException("unsqueeze: dimension " + dim + " out of range for "
                    + describe());
        }
        long[] s = new long[shape.length + 1];
        long[] st = new long[shape.length + 1];
        for (int j = 0, k = 0; j < s.length; j++) {
            if (j == i) {
                s[j] = 1;
                st[j] = 0;
            } else {
                s[j] = shape[k];
                st[j] = strides[k++];
            }
        }
        return new Tensor(base, offset, dtype, s, st, device);
    }

    /**
     * A broadcast view of this tensor with {@code newShape}: size-1 dimensions are repeated
     * with stride 0 and missing leading dimensions are added.
     */
    public Tensor expand(long... newShape) {
        if (newShape.length < shape.length) {
            throw new IllegalArgumentException("expand: cannot expand " + describe() + " to "
                    + Arrays.toString(newShape));
        }
        long[] st = new long[newShape.length];
        int lead = newShape.length - shape.length;
        for (int i = 0; i < newShape.length; i++) {
            if (i < lead) {
                st[i] = 0;
                continue;
            }
            long have = shape[i - lead];
            if (have == newShape[i]) {
                st[i] = strides[i - lead];
            } else if (have == 1) {
                st[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: dimension " + (i - lead) + " of "
                        + describe() + " is " + have + ", cannot expand to "
                        + Arrays.toString(newShape));
            }
        }
        return new Tensor(base, offset, dtype, newShape.clone(), st, device);
    }

    /**
     * This tensor if contiguous, otherwise a contiguous host copy owned by {@code scope}.
     *
     * @throws IllegalArgumentException if this strided tensor is not in host memory (copy it
     *     on its device with {@link Ops#copy})
     */
    public Tensor contiguous(Scope scope) {
        if (isContiguous()) {
            return this;
        }
        requireHost("contiguous");
        Tensor copy = allocateUninitialized(scope, dtype, shape);
        copy.copyFrom(this);
        return copy;
    }

    // ---- element access (host tensors) --------------------------------------------------------
    //
    // Device memory is never dereferenced from Java (it would fault the JVM): each of these
    // checks that the tensor is in host memory first.

    /** Reads the element at {@code index} as a float (I32 values are converted). */
    public float getFloat(long... index) {
        requireHost("getFloat");
        checkAlive("getFloat");
        return readFloat(base, (offset + linear(index)) * dtype.byteSize());
    }

    /** Writes {@code value} at {@code index}, rounding to this tensor's dtype. */
    public void setFloat(float value, long... index) {
        requireHost("setFloat");
        checkAlive("setFloat");
        writeFloat(base, (offset + linear(index)) * dtype.byteSize(), value);
    }

    /** Reads the I32 element at {@code index}. */
    public int getInt(long... index) {
        requireDType("getInt", DType.I32);
        requireHost("getInt");
        checkAlive("getInt");
        return base.get(ValueLayout.JAVA_INT_UNALIGNED, (offset + linear(index)) * 4);
    }

    /** Copies all elements, in row-major order, into a new float array. */
    public float[] toFloatArray() {
        requireHost("toFloatArray");
        checkAlive("toFloatArray");
        float[] out = new float[Math.toIntExact(numel())];
        if (dtype == DType.F32 && isContiguous()) {
            MemorySegment.copy(base, ValueLayout.JAVA_FLOAT_UNALIGNED, offset * 4L, out, 0,
                    out.length);
            return out;
        }
        long[] idx = new long[shape.length];
        for (int n = 0; n < out.length; n++) {
            out[n] = readFloat(base, (offset + linear(idx)) * dtype.byteSize());
            increment(idx);
        }
        return out;
    }

    /** Copies all elements, in row-major order, into a new int array (I32 only). */
    public int[] toIntArray() {
        requireDType("toIntArray", DType.I32);
        requireHost("toIntArray");
        checkAlive("toIntArray");
        int[] out = new int[Math.toIntExact(numel())];
        long[] idx = new long[shape.length];
        for (int n = 0; n < out.length; n++) {
            out[n] = base.get(ValueLayout.JAVA_INT_UNALIGNED, (offset + linear(idx)) * 4);
            increment(idx);
        }
        return out;
    }

    /**
     * Writes {@code data} (row-major) into this tensor, rounding to its dtype.
     *
     * @throws IllegalArgumentException if the lengths differ
     */
    public void copyFrom(float[] data) {
        requireHost("copyFrom");
        checkAlive("copyFrom");
        if (data.length != numel()) {
            throw new IllegalArgumentException("copyFrom: " + data.length + " values for "
                    + describe() + " with " + numel() + " elements");
        }
        if (dtype == DType.F32 && isContiguous()) {
            MemorySegment.copy(data, 0, base, ValueLayout.JAVA_FLOAT_UNALIGNED, offset * 4L,
                    data.length);
            return;
        }
        long[] idx = new long[shape.length];
        for (float value : data) {
            writeFloat(base, (offset + linear(idx)) * dtype.byteSize(), value);
            increment(idx);
        }
    }

    /**
     * Copies every element of {@code src} (same shape, any dtype and strides) into this tensor.
     */
    public void copyFrom(Tensor src) {
        requireHost("copyFrom");
        src.requireHost("copyFrom");
        checkAlive("copyFrom");
        src.checkAlive("copyFrom");
        if (!Arrays.equals(shape, src.shape)) {
            throw new IllegalArgumentException("copyFrom: shapes differ: dst " + describe()
                    + ", src " + src.describe());
        }
        if (dtype == src.dtype && isContiguous() && src.isContiguous()) {
            MemorySegment.copy(src.base, src.offset * dtype.byteSize(), base,
                    offset * dtype.byteSize(), numel() * dtype.byteSize());
            return;
        }
        long[] idx = new long[shape.length];
        long n = numel();
        boolean ints = dtype == DType.I32 && src.dtype == DType.I32;
        for (long i = 0; i < n; i++) {
            long d = (offset + linear(idx)) * dtype.byteSize();
            long s = (src.offset + src.linear(idx)) * src.dtype.byteSize();
            if (ints) {
                base.set(ValueLayout.JAVA_INT_UNALIGNED, d,
                        src.base.get(ValueLayout.JAVA_INT_UNALIGNED, s));
            } else {
                writeFloat(base, d, src.readFloat(src.base, s));
            }
            increment(idx);
        }
    }

    /**
     * Copies the raw bytes of this contiguous tensor into {@code dst} at its position, in
     * little-endian order, advancing the position.
     */
    public void copyTo(ByteBuffer dst) {
        requireHost("copyTo");
        MemorySegment src = contiguousSegment("copyTo");
        if (dst.remaining() < src.byteSize()) {
            throw new IllegalArgumentException("copyTo: buffer has " + dst.remaining()
                    + " bytes left, tensor needs " + src.byteSize());
        }
        ByteBuffer view = dst.slice().order(ByteOrder.LITTLE_ENDIAN);
        MemorySegment.ofBuffer(view).copyFrom(src);
        dst.position(dst.position() + (int) src.byteSize());
    }

    /**
     * Fills this contiguous tensor from the raw little-endian bytes at {@code src}'s position,
     * advancing the position.
     */
    public void copyFrom(ByteBuffer src) {
        requireHost("copyFrom");
        MemorySegment dst = contiguousSegment("copyFrom");
        if (src.remaining() < dst.byteSize()) {
            throw new IllegalArgumentException("copyFrom: buffer has " + src.remaining()
                    + " bytes left, tensor needs " + dst.byteSize());
        }
        dst.copyFrom(MemorySegment.ofBuffer(src.slice()).asSlice(0, dst.byteSize()));
        src.position(src.position() + (int) dst.byteSize());
    }

    /** "F32[2, 3] on CPU", for messages. */
    public String describe() {
        return dtype + Arrays.toString(shape) + (device == Device.CPU ? "" : " on " + device);
    }

    @Override
    public String toString() {
        return "Tensor(" + describe() + ", strides=" + Arrays.toString(strides) + ")";
    }

    // ---- helpers ----------------------------------------------------------------------------

    private MemorySegment contiguousSegment(String op) {
        checkAlive(op);
        if (!isContiguous()) {
            throw new IllegalArgumentException(op + ": tensor " + describe()
                    + " is not contiguous");
        }
        return segment();
    }

    private void requireHost(String op) {
        if (device != Device.CPU) {
            throw new IllegalArgumentException(op + ": tensor " + describe()
                    + " is not in host memory; copy it to the CPU first");
        }
    }

    private void requireDType(String op, DType expected) {
        if (dtype != expected) {
            throw new IllegalArgumentException(op + ": needs " + expected + ", tensor is "
                    + describe());
        }
    }

    private int axis(int i) {
        int a = i < 0 ? i + shape.length : i;
        if (a < 0 || a >= shape.length) {
            throw new IllegalArgumentException("dimension " + i + " out of range for "
                    + describe());
        }
        return a;
    }

    private long linear(long[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " has rank "
                    + index.length + ", tensor " + describe() + " has rank " + shape.length);
        }
        long at = 0;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index)
                        + " outside " + describe());
            }
            at += index[i] * strides[i];
        }
        return at;
    }

    private void increment(long[] idx) {
        for (int i = idx.length - 1; i >= 0; i--) {
            if (++idx[i] < shape[i]) {
                return;
            }
            idx[i] = 0;
        }
    }

    private float readFloat(MemorySegment seg, long byteOffset) {
        return switch (dtype) {
            case F32 -> seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, byteOffset);
            case F16 -> Float.float16ToFloat(seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, byteOffset));
            case BF16 -> DType.bf16ToFloat(seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, byteOffset));
            case I32 -> seg.get(ValueLayout.JAVA_INT_UNALIGNED, byteOffset);
        };
    }

    private void writeFloat(MemorySegment seg, long byteOffset, float value) {
        switch (dtype) {
            case F32 -> seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, byteOffset, value);
            case F16 -> seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, byteOffset,
                    Float.floatToFloat16(value));
            case BF16 -> seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, byteOffset,
                    DType.floatToBf16(value));
            case I32 -> seg.set(ValueLayout.JAVA_INT_UNALIGNED, byteOffset, (int) value);
        }
    }

    private static long[] checkShape(String op, long[] shape) {
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(op + ": dimensions must be >= 0, got "
                        + Arrays.toString(shape));
            }
        }
        numel(shape);
        return shape.clone();
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    static long[] contiguousStrides(long[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return st;
    }
}
