package dev.gatun.bench;

import dev.gatun.DType;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Benchmark inputs: uniform values in [-1, 1) from a fixed seed, so every run sees the same. */
final class Data {
    static final long SEED = 20261203L;

    private Data() {}

    /** n values in [-1, 1). */
    static float[] floats(int n, long salt) {
        SplittableRandom random = new SplittableRandom(SEED + salt);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return out;
    }

    /** A contiguous F32 tensor of the given shape, owned by {@code scope}. */
    static Tensor tensor(Scope scope, long salt, long... shape) {
        long numel = 1;
        for (long d : shape) {
            numel *= d;
        }
        return Tensor.fromFloats(scope, DType.F32, floats(Math.toIntExact(numel), salt), shape);
    }

    /** "64" gives {64, 64, 64}; "128x384x1536" gives {128, 384, 1536}. */
    static long[] dims(String shape, int rank) {
        String[] parts = shape.split("x");
        long[] out = new long[rank];
        if (parts.length == 1) {
            Arrays.fill(out, Long.parseLong(parts[0]));
            return out;
        }
        if (parts.length != rank) {
            throw new IllegalArgumentException("shape '" + shape + "' must be one size or "
                    + rank + " sizes joined by 'x'");
        }
        for (int i = 0; i < rank; i++) {
            out[i] = Long.parseLong(parts[i]);
        }
        return out;
    }
}
