package dev.gatun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Zero-copy exchange: memory owned by the caller's arena wrapped as tensors, and tensors'
 * memory handed back as segments, with the owner's lifetime in force on both sides.
 */
class TensorWrapTest {
    static final long SEED = System.nanoTime();

    static Stream<String> cpuBackends() {
        return Backends.list().stream().filter(Backends.Info::usable)
                .map(Backends.Info::name)
                .filter(n -> Backends.get(n).device() == Device.CPU);
    }

    @Test
    void writesThroughEitherSideAreSeenByTheOther() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment data = arena.allocate(ValueLayout.JAVA_FLOAT, 6);
            Tensor x = Tensor.wrap(data, DType.F32, 2, 3);

            // caller writes, tensor reads
            for (int i = 0; i < 6; i++) {
                data.setAtIndex(ValueLayout.JAVA_FLOAT, i, i + 1);
            }
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, x.toFloatArray());

            // tensor writes, caller reads
            x.setFloat(-7, 1, 2);
            assertEquals(-7, data.getAtIndex(ValueLayout.JAVA_FLOAT, 5));

            // the segment handed back is the same memory, not a copy
            MemorySegment back = x.segment();
            assertEquals(data.address(), back.address());
            back.setAtIndex(ValueLayout.JAVA_FLOAT, 0, 42);
            assertEquals(42, x.getFloat(0, 0));

            // strides in elements: the same six floats read column-major, as x^T
            Tensor xt = Tensor.wrap(data, DType.F32, new long[] {3, 2}, new long[] {1, 3},
                    Device.CPU);
            assertArrayEquals(new float[] {42, 4, 2, 5, 3, -7}, xt.toFloatArray());
        }
    }

    @Test
    void closingTheCallersArenaMakesTheTensorUnusable() {
        Arena arena = Arena.ofShared();
        MemorySegment data = arena.allocate(ValueLayout.JAVA_FLOAT, 8);
        Tensor x = Tensor.wrap(data, DType.F32, 2, 4);
        Tensor view = x.transpose(0, 1);
        assertTrue(x.isAlive());
        arena.close();

        assertFalse(x.isAlive());
        assertThrows(IllegalStateException.class, x::toFloatArray);
        assertThrows(IllegalStateException.class, view::toFloatArray);
        assertThrows(IllegalStateException.class, () -> x.getFloat(0, 0));
        assertThrows(IllegalStateException.class, () -> x.setFloat(1, 0, 0));
        assertThrows(IllegalStateException.class, x::segment);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Tensor.wrap(data, DType.F32, 2, 4));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        cpuBackends().forEach(name -> {
            try (Scope scope = Scope.open()) {
                Ops ops = new Ops(Backends.get(name), scope);
                IllegalStateException op = assertThrows(IllegalStateException.class,
                        () -> ops.gelu(x), name);
                assertTrue(op.getMessage().contains("closed"), name + ": " + op.getMessage());
            }
        });
    }

    @Test
    void aTensorsSegmentBelongsToItsScope() {
        MemorySegment out;
        try (Scope scope = Scope.open()) {
            Tensor t = Tensor.fromFloats(scope, new float[] {1, 2, 3, 4}, 2, 2);
            out = t.select(0, 1).segment();  // row 1, zero-copy
            assertEquals(2 * Float.BYTES, out.byteSize());
            assertEquals(3, out.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
            out.setAtIndex(ValueLayout.JAVA_FLOAT, 1, 9);
            assertEquals(9, t.getFloat(1, 1));
        }
        MemorySegment gone = out;
        assertThrows(IllegalStateException.class,
                () -> gone.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
    }

    @Test
    void refusesWhatCannotBeZeroCopy() {
        float[] array = new float[6];
        IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
                () -> Tensor.wrap(MemorySegment.ofArray(array), DType.F32, 2, 3));
        assertTrue(heap.getMessage().contains("heap"), heap.getMessage());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment small = arena.allocate(5 * Float.BYTES);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Tensor.wrap(small, DType.F32, 2, 3));
            assertTrue(e.getMessage().contains("needs 24 bytes, segment has 20"),
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(small, DType.F32,
                    new long[] {2, 2}, new long[] {-1, 1}, Device.CPU));
        }
    }

    @Test
    void aDeviceAddressIsNeverReadFromJava() {
        // a made-up device address: wrapping it reads nothing, host accessors refuse it
        MemorySegment device = MemorySegment.ofAddress(0x7f00_0000_0000L).reinterpret(64);
        Tensor t = Tensor.wrap(device, DType.F32, new long[] {4, 4}, new long[] {4, 1},
                Device.CUDA);
        assertEquals(Device.CUDA, t.device());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                t::toFloatArray);
        assertTrue(e.getMessage().contains("not in host memory"), e.getMessage());
        assertEquals(0x7f00_0000_0000L, t.segment().address());
    }

    @ParameterizedTest
    @MethodSource("cpuBackends")
    void opsRunOnWrappedMemory(String backend) {
        Random random = new Random(SEED);
        int m = 5;
        int k = 7;
        int n = 3;
        try (Arena arena = Arena.ofShared(); Scope scope = Scope.open()) {
            // a [M, K] row-major; b stored as [N, K] and read as [K, N] through its strides
            MemorySegment aSeg = arena.allocate(ValueLayout.JAVA_FLOAT, (long) m * k);
            MemorySegment bSeg = arena.allocate(ValueLayout.JAVA_FLOAT, (long) n * k);
            double[][] a = new double[m][k];
            double[][] b = new double[k][n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < k; j++) {
                    float v = random.nextFloat() * 2 - 1;
                    a[i][j] = v;
                    aSeg.setAtIndex(ValueLayout.JAVA_FLOAT, (long) i * k + j, v);
                }
            }
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < k; i++) {
                    float v = random.nextFloat() * 2 - 1;
                    b[i][j] = v;
                    bSeg.setAtIndex(ValueLayout.JAVA_FLOAT, (long) j * k + i, v);
                }
            }
            Tensor at = Tensor.wrap(aSeg, DType.F32, m, k);
            Tensor bt = Tensor.wrap(bSeg, DType.F32, new long[] {k, n}, new long[] {1, k},
                    Device.CPU);

            Ops ops = new Ops(Backends.get(backend), scope);
            Tensor c = ops.matmul(at, bt); // [M, N], owned by scope
            float[] got = c.toFloatArray();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double want = 0;
                    for (int p = 0; p < k; p++) {
                        want += a[i][p] * b[p][j];
                    }
                    assertEquals(want, got[i * n + j], 1e-5, backend + " c[" + i + ", " + j
                            + "] (seed " + SEED + ")");
                }
            }

            // a later write by the caller is what the next op sees
            aSeg.setAtIndex(ValueLayout.JAVA_FLOAT, 0, 0);
            float[] again = ops.matmul(at, bt).toFloatArray();
            for (int j = 0; j < n; j++) {
                double want = 0;
                for (int p = 1; p < k; p++) {
                    want += a[0][p] * b[p][j];
                }
                assertEquals(want, again[j], 1e-5, backend + " after the caller's write"
                        + " (seed " + SEED + ")");
            }
        }
    }
}
