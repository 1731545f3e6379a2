package dev.gatun.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Checks {@link cudart_h} against the CUDA toolkit's own headers (where a toolkit is
 * installed) and calls what can run without a GPU (where the runtime loads): the version
 * queries, the error strings, and {@code cudaGetDeviceCount}, which must answer rather than
 * crash on a machine without a device.
 */
class CudaRuntimeBindingsTest {

    private static Path include() {
        String home = System.getenv("CUDA_HOME");
        return Path.of(home == null || home.isBlank() ? "/usr/local/cuda" : home, "include");
    }

    private static void assumeToolkit() {
        assumeTrue(Files.isRegularFile(include().resolve("cuda_runtime_api.h")),
                () -> "no CUDA toolkit headers at " + include() + " to check cudart_h against");
    }

    private static void assumeRuntime() {
        assumeTrue(CudaRuntimeLibrary.failure().isEmpty(), () -> "the CUDA runtime does not"
                + " load here: " + CudaRuntimeLibrary.failure().orElseThrow());
    }

    @Test
    void everyBindingHasTheToolkitsArityTypesAndLayouts() throws Exception {
        assumeToolkit();
        CHeader header = CHeader.cudaRuntime(include().resolve("cuda_runtime_api.h"));
        assertTrue(header.prototypes().size() > 100, "parsed only "
                + header.prototypes().size() + " prototypes");
        header.assertBindings(cudart_h.class,
                CHeader.boundFunctions(cudart_h.class, "cuda").keySet());
    }

    @Test
    void constantsMatchTheToolkit() throws Exception {
        assumeToolkit();
        CHeader types = CHeader.gatun(include().resolve("driver_types.h"));
        Map<String, Integer> header = types.constants(CHeader.ENUM_CONSTANT);
        Map<String, Integer> bound = CHeader.intConstants(cudart_h.class);
        assertEquals(12, bound.size(), "constants of cudart_h: " + bound);
        for (Map.Entry<String, Integer> e : bound.entrySet()) {
            assertEquals(header.get(e.getKey()), e.getValue(),
                    e.getKey() + " in driver_types.h vs cudart_h");
        }
    }

    @Test
    void everyBoundSymbolResolvesInTheRuntime() throws Exception {
        assumeRuntime();
        for (String name : CHeader.boundFunctions(cudart_h.class, "cuda").keySet()) {
            MemorySegment address = (MemorySegment) cudart_h.class.getMethod(name + "$address")
                    .invoke(null);
            assertFalse(address.equals(MemorySegment.NULL), name + " resolved to NULL");
        }
    }

    @Test
    void versionAndDeviceCountAnswerWithOrWithoutAGpu() {
        assumeRuntime();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(cudart_h.C_INT);
            assertEquals(cudart_h.cudaSuccess, cudart_h.cudaRuntimeGetVersion(value));
            int runtime = value.get(cudart_h.C_INT, 0);
            assertTrue(runtime >= 12000, "runtime version " + runtime);

            value.set(cudart_h.C_INT, 0, -1);
            int error = cudart_h.cudaGetDeviceCount(value);
            int count = value.get(cudart_h.C_INT, 0);
            if (error == cudart_h.cudaSuccess) {
                assertTrue(count >= 0, "cudaGetDeviceCount gave " + count);
            } else {
                String name = cudart_h.cudaGetErrorName(error).reinterpret(256).getString(0);
                String text = cudart_h.cudaGetErrorString(error).reinterpret(256).getString(0);
                assertTrue(name.startsWith("cudaError"), "error " + error + " named " + name);
                assertNotEquals("", text, "error " + error + " has no description");
            }
        }
    }
}
