package dev.gatun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

/** Tensor.copyFrom(Tensor) between dtypes and strides, against plain Java rounding. */
class TensorCopyTest {
    @Test
    void copiesBetweenDtypesAndLayouts() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[6 * 5];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 200 - 100);
        }
        try (Scope scope = Scope.open()) {
            Tensor f32 = Tensor.fromFloats(scope, values, 6, 5);
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                float[] rounded = new float[values.length];
                for (int i = 0; i < values.length; i++) {
                    rounded[i] = switch (dtype) {
                        case F16 -> Float.float16ToFloat(Float.floatToFloat16(values[i]));
                        case BF16 -> DType.bf16ToFloat(DType.floatToBf16(values[i]));
                        default -> values[i];
                    };
                }

                // F32 -> dtype, contiguous
                Tensor narrow = Tensor.allocate(scope, dtype, 6, 5);
                narrow.copyFrom(f32);
                assertArrayEquals(rounded, narrow.toFloatArray(), "F32 -> " + dtype
                        + " (seed " + seed + ")");

                // dtype -> F32 through a transposed view, then back in order
                Tensor wide = Tensor.allocate(scope, DType.F32, 5, 6);
                wide.copyFrom(narrow.transpose(0, 1));
                assertArrayEquals(rounded, wide.transpose(0, 1).contiguous(scope)
                        .toFloatArray(), dtype + " -> F32 transposed (seed " + seed + ")");
            }
        }
    }
}
