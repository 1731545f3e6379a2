package dev.gatun.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves that {@link gatun_cuda_h} binds exactly the C ABI of
 * {@code native/include/gatun_cuda.h}, as {@link GatunHeaderTest} does for gatun.h: every
 * prototype with its arity, types and layouts, nothing more, and the same constants. Only
 * the symbol check needs {@code libgatun_cuda.so}; it is skipped, saying so, where the build
 * found no nvcc.
 */
class GatunCudaHeaderTest {
    private static final Pattern CONSTANT =
            Pattern.compile("\\b(GATUN_CUDA_[A-Z0-9_]+)\\s*=\\s*(\\d+)");
    private static final Pattern DEFINE =
            Pattern.compile("#define\\s+(GATUN_CUDA_ABI_VERSION)\\s+(\\d+)");

    private static CHeader header;

    @BeforeAll
    static void parseHeader() throws IOException {
        header = CHeader.gatun(Path.of(System.getProperty("gatun.cuda.header",
                "../native/include/gatun_cuda.h")));
        assertTrue(header.prototypes().size() >= 35, "parsed only "
                + header.prototypes().keySet());
    }

    @Test
    void bindsEveryFunctionOfTheHeaderAndNothingElse() {
        assertEquals(new TreeSet<>(header.prototypes().keySet()),
                CHeader.boundFunctions(gatun_cuda_h.class, "gatun_").keySet(),
                "functions in gatun_cuda.h vs functions bound in gatun_cuda_h");
    }

    @Test
    void everyBindingHasTheHeadersArityTypesAndLayouts() throws Exception {
        header.assertBindings(gatun_cuda_h.class, header.prototypes().keySet());
    }

    @Test
    void everyOpHasAReferenceTwinWithTheSameParameters() {
        Map<String, CHeader.Prototype> all = header.prototypes();
        int twins = 0;
        for (CHeader.Prototype p : all.values()) {
            if (p.name().endsWith("_reference")) {
                String fast = p.name().substring(0, p.name().length() - "_reference".length());
                assertTrue(all.containsKey(fast), p.name() + " has no fast twin");
                assertEquals(all.get(fast).parameterTypes(), p.parameterTypes(),
                        p.name() + " vs " + fast);
                twins++;
            }
        }
        assertEquals(10, twins, "reference twins in gatun_cuda.h");
    }

    @Test
    void everyBoundSymbolResolvesInTheLibrary() throws Exception {
        assumeTrue(GatunCudaLibrary.failure().isEmpty(), () -> "libgatun_cuda.so is not"
                + " loadable here, so its symbols cannot be checked: "
                + GatunCudaLibrary.failure().orElseThrow());
        for (String name : header.prototypes().keySet()) {
            MemorySegment address = (MemorySegment) gatun_cuda_h.class
                    .getMethod(name + "$address").invoke(null);
            assertFalse(address.equals(MemorySegment.NULL), name + " resolved to NULL");
        }
    }

    @Test
    void constantsMatchTheHeader() throws Exception {
        Map<String, Integer> expected = header.constants(CONSTANT, DEFINE);
        assertEquals(7, expected.size(), "parsed " + expected);
        assertEquals(expected, CHeader.intConstants(gatun_cuda_h.class),
                "constants of gatun_cuda.h vs int constants of gatun_cuda_h");
    }
}
