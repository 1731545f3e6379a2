package dev.gatun;

/**
 * The element types a {@link Tensor} can hold.
 *
 * <p>The {@linkplain #code() code} of each constant equals its {@code gatun_dtype} value in
 * {@code native/include/gatun.h}. Floating-point ops accumulate in fp32 whatever the storage
 * type.
 */
public enum DType {
    /** IEEE 754 binary32. */
    F32(0, 4),
    /** IEEE 754 binary16. */
    F16(1, 2),
    /** bfloat16: the upper half of a binary32. */
    BF16(2, 2),
    /** Two's-complement 32-bit integer (token ids, positions, lengths). */
    I32(3, 4);

    private final int code;
    private final int byteSize;

    DType(int code, int byteSize) {
        this.code = code;
        this.byteSize = byteSize;
    }

    /** The {@code gatun_dtype} value of this type in the C ABI. */
    public int code() {
        return code;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Whether this is one of the floating-point types. */
    public boolean isFloating() {
        return this != I32;
    }

    /** Rounds {@code f} to the nearest bfloat16 (ties to even) and returns its bits. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** Widens bfloat16 bits to a float exactly. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
