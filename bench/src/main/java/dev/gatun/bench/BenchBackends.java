package dev.gatun.bench;

import dev.gatun.Backend;
import dev.gatun.Backends;
import dev.gatun.backend.JavaBackend;
import dev.gatun.backend.JavaKernels;
import java.util.Optional;

/**
 * The backends a benchmark's {@code backend} parameter names: "native" (oneDNN through FFM),
 * "java" (the pure-Java backend on its Vector API kernels) and "scalar" (the same backend
 * forced onto its plain-loop kernels, the baseline).
 *
 * <p>"java" never degrades to scalar kernels silently: where the JVM lacks
 * {@code --add-modules jdk.incubator.vector} it fails, naming the reason.
 */
public final class BenchBackends {
    private BenchBackends() {}

    /**
     * The backend named {@code name}.
     *
     * @throws IllegalArgumentException if the name is none of native, java, scalar
     * @throws IllegalStateException if that backend cannot run in this JVM, with the reason
     */
    public static Backend of(String name) {
        return switch (name) {
            case "native" -> Backends.get("native");
            case "java" -> vectorJava();
            case "scalar" -> new JavaBackend(JavaKernels.scalar());
            default -> throw new IllegalArgumentException("BenchBackends: backend must be"
                    + " native, java or scalar, got '" + name + "'");
        };
    }

    /** Why {@code name} cannot run here, or empty when it can. */
    public static Optional<String> unavailable(String name) {
        try {
            of(name);
            return Optional.empty();
        } catch (RuntimeException | LinkageError e) {
            return Optional.of(e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private static Backend vectorJava() {
        JavaBackend java = new JavaBackend();
        if (!java.kernelsName().equals("vector")) {
            throw new IllegalStateException("backend 'java' is meant to run the Vector API"
                    + " kernels but this JVM chose '" + java.kernelsName() + "': "
                    + JavaBackend.kernelsReason());
        }
        return java;
    }
}
