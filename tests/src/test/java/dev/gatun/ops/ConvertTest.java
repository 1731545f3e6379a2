package dev.gatun.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.ops.TestBackends.Case;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Ops#convert} and {@link Ops#copy}: every pair of floating dtypes must round to
 * nearest, ties to even, exactly; the expected bf16 rounding is computed in the test from
 * the two neighbouring bf16 values, the f16 one with {@link Float#floatToFloat16}. Values
 * include halfway cases, infinities, subnormals and large magnitudes; one input is strided.
 */
class ConvertTest {

    static Stream<Arguments> cases() {
        return TestBackends.all().flatMap(c -> Stream.of(DType.F32, DType.F16, DType.BF16)
                .flatMap(from -> Stream.of(DType.F32, DType.F16, DType.BF16)
                        .map(to -> Arguments.of(c, from, to))));
    }

    @ParameterizedTest(name = "{0} {1}->{2}")
    @MethodSource("cases")
    void roundsToNearestEven(Case c, DType from, DType to) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            float[] special = {0f, -0f, 1f, -1.5f, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, 65504f, 1e-7f, -3e-39f, 1e30f,
                Float.intBitsToFloat(0x3F808000), // halfway between two bf16: rounds to even
                Float.intBitsToFloat(0x3F818000), // halfway: rounds up to even
                Float.intBitsToFloat(0x3F808001), // just past halfway: rounds up
                1.00048828125f,                     // halfway between two f16
                3.4e38f, Float.MAX_VALUE,           // round up past the largest bf16
            };
            int n = 4099;
            float[] data = Data.uniform(rng, n, -100, 100);
            System.arraycopy(special, 0, data, 0, special.length);
            Tensor x = Tensor.fromFloats(scope, from, data, n);
            String what = "seed=" + seed + " " + c + " " + from + "->" + to;
            check(x, ops.convert(x, to), to, what);

            Tensor strided = Tensor.fromFloats(scope, from, Data.uniform(rng, 17 * 33, -2, 2),
                    17, 33).transpose(0, 1);
            check(strided, ops.convert(strided, to), to, what + " transposed [33, 17]");
            Tensor copy = ops.copy(strided);
            assertEquals(from, copy.dtype(), what + " copy dtype");
            assertArrayEquals(strided.toFloatArray(), copy.toFloatArray(), what + " copy");
        }
    }

    private static void check(Tensor x, Tensor got, DType to, String what) {
        assertEquals(to, got.dtype(), what + ": dtype");
        assertArrayEquals(x.shape(), got.shape(), what + ": shape");
        assertEquals(true, got.isContiguous(), what + ": contiguous");
        float[] in = x.toFloatArray();
        float[] out = got.toFloatArray();
        for (int i = 0; i < in.length; i++) {
            float expected = round(in[i], to);
            if (Float.floatToIntBits(expected) != Float.floatToIntBits(out[i])) {
                throw new AssertionError(what + ": element " + i + " = " + in[i]
                        + " should become " + expected + ", got " + out[i]);
            }
        }
    }

    /** f rounded to {@code to}, nearest even, as a float. */
    static float round(float f, DType to) {
        return switch (to) {
            case F32 -> f;
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(f));
            case BF16 -> roundBf16(f);
            case I32 -> throw new IllegalArgumentException("not floating");
        };
    }

    /** The nearer of the two bf16 values around f; on a tie, the one whose last bit is 0. */
    private static float roundBf16(float f) {
        if (Float.isNaN(f) || Float.isInfinite(f)) {
            return f;
        }
        int bits = Float.floatToRawIntBits(f);
        int down = bits & 0xFFFF0000;
        int up = down + 0x10000;
        double lo = Float.intBitsToFloat(down);
        // past the largest finite bf16 the next value up is 2^128, which becomes infinity
        boolean overflow = (up & 0x7FFFFFFF) == 0x7F800000;
        double hi = overflow ? Math.copySign(0x1p128, f) : Float.intBitsToFloat(up);
        double dLo = Math.abs(f - lo);
        double dHi = Math.abs(hi - f);
        boolean pickHi = dHi < dLo || (dHi == dLo && ((down >>> 16) & 1) == 1);
        return pickHi ? Float.intBitsToFloat(up) : (float) lo;
    }
}
