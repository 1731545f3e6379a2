package dev.gatun.bench;

import dev.gatun.bindings.GatunLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * oneDNN's own {@code dnnl_sgemm}, called straight through FFM from the {@code libdnnl.so.3}
 * that sits beside {@code libgatun.so}: the ceiling for Gatun's matmul, with no Gatun code
 * (no checks, no primitive cache, no Tensor) on the way.
 *
 * <pre>{@code
 * dnnl_status_t dnnl_sgemm(char transa, char transb, dnnl_dim_t M, dnnl_dim_t N,
 *         dnnl_dim_t K, float alpha, const float *A, dnnl_dim_t lda, const float *B,
 *         dnnl_dim_t ldb, float beta, float *C, dnnl_dim_t ldc);   // row-major
 * }</pre>
 */
public final class OneDnnDirect {
    private static final FunctionDescriptor SGEMM = FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_BYTE, ValueLayout.JAVA_BYTE, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_FLOAT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG);
    private static final byte NO_TRANSPOSE = 'N';

    private final MethodHandle sgemm;

    private OneDnnDirect(MethodHandle sgemm) {
        this.sgemm = sgemm;
    }

    /**
     * Links {@code dnnl_sgemm} from the oneDNN beside the loaded {@code libgatun.so}.
     *
     * @throws IllegalStateException if libgatun.so cannot be loaded or has no libdnnl.so.3
     *     beside it
     */
    public static OneDnnDirect load() {
        GatunLibrary.lookup(); // loads libgatun.so (and so libdnnl.so.3) or says why not
        Path gatun = GatunLibrary.path().orElseThrow();
        Path dnnl = gatun.resolveSibling("libdnnl.so.3");
        if (!Files.isRegularFile(dnnl)) {
            throw new IllegalStateException("OneDnnDirect: no libdnnl.so.3 beside " + gatun);
        }
        SymbolLookup lookup = SymbolLookup.libraryLookup(dnnl, Arena.global());
        MemorySegment address = lookup.find("dnnl_sgemm").orElseThrow(() ->
                new IllegalStateException("OneDnnDirect: " + dnnl + " has no dnnl_sgemm"));
        return new OneDnnDirect(Linker.nativeLinker().downcallHandle(address, SGEMM));
    }

    /**
     * {@code c = a b}: a [M, K], b [K, N], c [M, N], fp32, row-major and contiguous.
     *
     * @throws IllegalStateException if oneDNN returns a status other than success
     */
    public void sgemm(long m, long n, long k, MemorySegment a, MemorySegment b,
                      MemorySegment c) {
        int status;
        try {
            status = (int) sgemm.invokeExact(NO_TRANSPOSE, NO_TRANSPOSE, m, n, k, 1f, a, k, b, n,
                    0f, c, n);
        } catch (Throwable t) {
            throw new IllegalStateException("dnnl_sgemm failed to run", t);
        }
        if (status != 0) {
            throw new IllegalStateException("dnnl_sgemm returned status " + status + " for M="
                    + m + ", N=" + n + ", K=" + k);
        }
    }
}
