package dev.gatun.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatun.Backends;
import org.junit.jupiter.api.Test;

/**
 * Which kernels the Java backend picks. tests/pom.xml runs this class twice: in the default
 * JVM, started with {@code --add-modules jdk.incubator.vector}, where the answer must be
 * "vector", and in a second JVM without that flag, where it must be "scalar" (the fallback
 * is explicit, not a crash). The system property {@code gatun.test.expectedKernels} says
 * which JVM this is.
 */
class JavaBackendKernelsTest {

    @Test
    void picksTheKernelsThisJvmAllows() {
        boolean vectorModule = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        String expected = System.getProperty("gatun.test.expectedKernels",
                vectorModule ? "vector" : "scalar");
        assertEquals(expected.equals("vector"), vectorModule,
                "gatun.test.expectedKernels=" + expected + " but jdk.incubator.vector is "
                        + (vectorModule ? "present" : "absent") + ": check tests/pom.xml");

        JavaBackend backend = (JavaBackend) Backends.get("java");
        assertEquals(expected, backend.kernelsName(), "reason: " + JavaBackend.kernelsReason());
        assertEquals(expected, new JavaBackend().kernelsName());
        String reason = JavaBackend.kernelsReason();
        assertTrue(reason.contains("jdk.incubator.vector"), "the reason names the module: "
                + reason);
    }
}
