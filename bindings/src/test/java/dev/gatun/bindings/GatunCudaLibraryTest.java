package dev.gatun.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Loading {@code libgatun_cuda.so} beside libgatun.so, or saying why not; and, where it
 * loads, calls that need no GPU: the device count, argument errors, and a failed allocation
 * on a machine without a device, each answered by a status and a message.
 */
class GatunCudaLibraryTest {

    private static boolean built() {
        return GatunCudaLibraryTest.class.getResource("/" + GatunLibrary.RESOURCE_DIR
                + GatunCudaLibrary.LIBRARY) != null;
    }

    private static String lastError() {
        return gatun_cuda_h.gatun_cuda_last_error().reinterpret(Integer.MAX_VALUE).getString(0);
    }

    private static void assumeLoaded() {
        assumeTrue(GatunCudaLibrary.failure().isEmpty(), () -> "libgatun_cuda.so is not"
                + " loadable here: " + GatunCudaLibrary.failure().orElseThrow());
    }

    @Test
    void loadsWhereBuiltAndSaysWhyNotElsewhere() {
        if (built()) {
            assertEquals("", GatunCudaLibrary.failure().orElse(""));
            Path path = GatunCudaLibrary.path().orElseThrow();
            assertEquals(GatunLibrary.path().orElseThrow().getParent(), path.getParent());
            assertEquals(gatun_cuda_h.GATUN_CUDA_ABI_VERSION,
                    gatun_cuda_h.gatun_cuda_abi_version());
        } else {
            String why = GatunCudaLibrary.failure().orElseThrow();
            assertTrue(why.contains("libgatun_cuda.so was not built (no nvcc at build time)"),
                    "failure: " + why);
        }
    }

    @Test
    void deviceCountAnswersAndSaysWhyThereIsNone() {
        assumeLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(gatun_cuda_h.C_INT);
            count.set(gatun_cuda_h.C_INT, 0, -1);
            assertEquals(gatun_cuda_h.GATUN_CUDA_OK, gatun_cuda_h.gatun_cuda_device_count(count));
            int n = count.get(gatun_cuda_h.C_INT, 0);
            assertTrue(n >= 0, "count " + n);
            if (n == 0) {
                assertTrue(lastError().contains("no usable CUDA device"),
                        "last error: " + lastError());
            }
        }
    }

    @Test
    void argumentErrorsComeBackAsStatusAndMessage() {
        assumeLoaded();
        int status = gatun_cuda_h.gatun_cuda_unary(99, gatun_h.GATUN_F32, 8,
                MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL);
        assertEquals(gatun_cuda_h.GATUN_CUDA_ERR_INVALID_ARGUMENT, status, lastError());
        assertTrue(lastError().contains("unknown activation 99"), "message: " + lastError());

        status = gatun_cuda_h.gatun_cuda_matmul(gatun_h.GATUN_F32, 1, -1, 1, 1,
                MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL,
                MemorySegment.NULL, gatun_h.GATUN_ACT_NONE, MemorySegment.NULL,
                MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL);
        assertEquals(gatun_cuda_h.GATUN_CUDA_ERR_INVALID_ARGUMENT, status, lastError());
        assertTrue(lastError().contains("M=-1"), "message: " + lastError());
    }

    @Test
    void allocatingWithoutADeviceFailsWithAStatus() {
        assumeLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(gatun_cuda_h.C_INT);
            gatun_cuda_h.gatun_cuda_device_count(count);
            assumeTrue(count.get(gatun_cuda_h.C_INT, 0) == 0,
                    "this machine has a CUDA device; the no-device path is not reachable");
            MemorySegment ptr = arena.allocate(gatun_cuda_h.C_POINTER);
            int status = gatun_cuda_h.gatun_cuda_malloc(1024, ptr);
            assertTrue(status != gatun_cuda_h.GATUN_CUDA_OK, "malloc without a device gave OK");
            assertTrue(lastError().contains("gatun_cuda_malloc"), "message: " + lastError());
        }
    }
}
