package dev.gatun.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatun.Backends;
import dev.gatun.DType;
import dev.gatun.Device;
import dev.gatun.MemoryStats;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * What a machine without a usable CUDA device sees (every machine this code has run on so
 * far): the backend is listed as unusable with a reason, asking for it or for device memory
 * fails with that reason as an {@link IllegalStateException}, the default backend stays a
 * CPU one, and nothing crashes. Skipped, saying so, where CUDA is available.
 */
class CudaUnavailableTest {
    private static String reason;

    @BeforeAll
    static void requireNoDevice() {
        assumeFalse(Cuda.isAvailable(), "CUDA is available here (" + Cuda.availability()
                + "); the no-device behaviour is not reachable");
        reason = Cuda.availability().reason();
    }

    @Test
    void theReasonIsOneOfTheProbesAnswers() {
        boolean known = reason.startsWith("libcudart not found (looked at: ")
                || reason.startsWith("no CUDA device (cudaGetDeviceCount: ")
                || reason.contains("libgatun_cuda.so was not built (no nvcc at build time)")
                || reason.contains("compute capability");
        assertTrue(known, "probe reason: " + reason);
    }

    @Test
    void backendsListCudaAsUnusableWithTheReason() {
        List<Backends.Info> cuda = Backends.list().stream()
                .filter(i -> i.name().equals("cuda")).toList();
        assertEquals(1, cuda.size(), "backends: " + Backends.list());
        assertFalse(cuda.get(0).usable(), "cuda: " + cuda.get(0));
        assertEquals(reason, cuda.get(0).reason());
        assertTrue(cuda.get(0).priority() < Backends.list().stream()
                .filter(i -> !i.name().equals("cuda"))
                .mapToInt(Backends.Info::priority).min().orElseThrow(),
                "cuda must rank below every CPU backend: " + Backends.list());
    }

    @Test
    void askingForTheBackendFailsWithTheReason() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Backends.get("cuda"));
        assertEquals("backend 'cuda' cannot run here: " + reason, e.getMessage());
    }

    @Test
    void theDefaultBackendStaysOnTheHost() {
        String pinned = System.getProperty("gatun.backend", System.getenv("GATUN_BACKEND"));
        assumeTrue(pinned == null || pinned.isBlank(), "the default is pinned to " + pinned);
        assertEquals(Device.CPU, Backends.defaultBackend().device(),
                "default " + Backends.defaultBackend().name());
        assertNotEquals("cuda", Backends.defaultBackend().name());
    }

    @Test
    void everyEntryPointThatNeedsTheDeviceSaysWhy() {
        long deviceBytes = MemoryStats.liveDeviceBytes();
        try (Scope scope = Scope.open()) {
            Tensor host = Tensor.fromFloats(scope, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            assertUnavailable("Cuda.allocate",
                    () -> Cuda.allocate(scope, DType.F32, 2, 3));
            assertUnavailable("Cuda.toDevice", () -> Cuda.toDevice(scope, host));
            assertUnavailable("Cuda.toHost", () -> Cuda.toHost(scope, host));
            Tensor labelled = Tensor.wrap(scope.allocate(24, 64), DType.F32,
                    new long[] {2, 3}, new long[] {3, 1}, Device.CUDA);
            assertUnavailable("Cuda.copy", () -> Cuda.copy(host, labelled));
            assertUnavailable("Cuda.synchronize", Cuda::synchronize);
            assertUnavailable("Cuda.device", Cuda::device);
            assertUnavailable("CudaStream.create", CudaStream::create);
            assertUnavailable("CudaBackend", () -> new CudaBackend());
            assertUnavailable("CudaBackend", CudaBackend::reference);
        }
        assertEquals(deviceBytes, MemoryStats.liveDeviceBytes(), "device bytes");
    }

    @Test
    void hostCopiesNeedNoDevice() {
        try (Scope scope = Scope.open()) {
            Tensor src = Tensor.fromFloats(scope, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor dst = Tensor.allocate(scope, DType.F32, 3, 2);
            Cuda.copy(src.transpose(0, 1), dst);
            assertEquals(List.of(1f, 4f, 2f, 5f, 3f, 6f), boxed(dst.toFloatArray()));
        }
    }

    @Test
    void deviceTensorsAreNeverReadFromJava() {
        // host memory labelled CUDA: each accessor must refuse it before touching it
        try (Scope scope = Scope.open()) {
            Tensor fake = Tensor.wrap(scope.allocate(24, 64), DType.F32, new long[] {2, 3},
                    new long[] {3, 1}, Device.CUDA);
            Tensor ints = Tensor.wrap(scope.allocate(24, 64), DType.I32, new long[] {2, 3},
                    new long[] {3, 1}, Device.CUDA);
            assertRefused("getFloat", () -> fake.getFloat(0, 0));
            assertRefused("setFloat", () -> fake.setFloat(1, 0, 0));
            assertRefused("getInt", () -> ints.getInt(0, 0));
            assertRefused("toFloatArray", fake::toFloatArray);
            assertRefused("toIntArray", ints::toIntArray);
            assertRefused("copyFrom", () -> fake.copyFrom(new float[6]));
            assertRefused("contiguous", () -> fake.transpose(0, 1).contiguous(scope));
        }
    }

    private static void assertUnavailable(String op, Executable call) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call, op);
        assertEquals(op + ": CUDA is not available: " + reason, e.getMessage());
    }

    private static void assertRefused(String op, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, op);
        assertTrue(e.getMessage().startsWith(op + ": ")
                && e.getMessage().contains("not in host memory"), e.getMessage());
    }

    private static List<Float> boxed(float[] values) {
        Float[] out = new Float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return List.of(out);
    }
}
