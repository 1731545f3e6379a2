package dev.gatun.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.Tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

class KVCacheTest {
    static List<String> backends() {
        return Support.backends();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void appendsStridedStepsAndTruncates(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            int b = 2;
            int hkv = 3;
            int d = 5;
            KVCache cache = KVCache.allocate(ops, 2, b, hkv, 6, d, DType.F32);
            KVCache.Layer layer = cache.layer(1);

            // k as a permuted [B, T, Hkv, D] view, v contiguous
            Support.Param k1 = s.input(b, 4, hkv, d);
            Support.Param v1 = s.input(b, hkv, 4, d);
            layer.append(ops, k1.tensor().permute(0, 2, 1, 3), v1.tensor());
            Support.Param k2 = s.input(b, hkv, 2, d);
            Support.Param v2 = s.input(b, hkv, 2, d);
            layer.append(ops, k2.tensor(), v2.tensor());
            assertEquals(6, layer.length());
            assertEquals(0, cache.layer(0).length());

            Tensor keys = layer.keys();
            Tensor values = layer.values();
            for (int bi = 0; bi < b; bi++) {
                for (int h = 0; h < hkv; h++) {
                    for (int t = 0; t < 6; t++) {
                        for (int e = 0; e < d; e++) {
                            double k = t < 4 ? k1.values()[((bi * 4 + t) * hkv + h) * d + e]
                                    : k2.values()[((bi * hkv + h) * 2 + t - 4) * d + e];
                            double v = t < 4 ? v1.values()[((bi * hkv + h) * 4 + t) * d + e]
                                    : v2.values()[((bi * hkv + h) * 2 + t - 4) * d + e];
                            String at = "[" + bi + ", " + h + ", " + t + ", " + e + "] (seed "
                                    + s.seed + ")";
                            assertEquals((float) k, keys.getFloat(bi, h, t, e), "key " + at);
                            assertEquals((float) v, values.getFloat(bi, h, t, e), "value " + at);
                        }
                    }
                }
            }

            // full: one more position is refused and changes nothing
            Tensor one = s.input(b, hkv, 1, d).tensor();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> layer.append(ops, one, one));
            assertTrue(e.getMessage().contains("layer 1 holds 6 of Tmax = 6"), e.getMessage());

            // truncating rewinds; the next append overwrites from there
            layer.truncate(5);
            layer.append(ops, one, one);
            assertArrayEquals(one.toFloatArray(), layer.keys().slice(2, 5, 6).toFloatArray());
            assertThrows(IllegalArgumentException.class, () -> layer.truncate(7));
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void rejectsWrongShapesAndSizes(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            KVCache cache = KVCache.allocate(ops, 1, 1, 2, 4, 8, DType.F32);
            Tensor wrongHeads = s.input(1, 3, 1, 8).tensor();
            assertThrows(IllegalArgumentException.class,
                    () -> cache.layer(0).append(ops, wrongHeads, wrongHeads));
            Tensor k = s.input(1, 2, 1, 8).tensor();
            Tensor v = s.input(1, 2, 2, 8).tensor();
            assertThrows(IllegalArgumentException.class, () -> cache.layer(0).append(ops, k, v));
            assertThrows(IllegalArgumentException.class, () -> cache.layer(1));
            assertThrows(IllegalArgumentException.class,
                    () -> KVCache.allocate(ops, 1, 1, 2, 0, 8, DType.F32));
            assertThrows(IllegalArgumentException.class,
                    () -> KVCache.allocate(ops, 1, 1, 2, 4, 8, DType.I32));
        }
    }
}
