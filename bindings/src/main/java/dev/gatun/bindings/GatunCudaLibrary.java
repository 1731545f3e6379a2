package dev.gatun.bindings;

import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds and loads {@code libgatun_cuda.so}, the CUDA backend's kernels, the first time this
 * class is used; nothing touches it before a CUDA backend is asked for.
 *
 * <pre>{@code
 * Optional<String> why = GatunCudaLibrary.failure();   // empty once loaded
 * SymbolLookup symbols = GatunCudaLibrary.lookup();    // throws IllegalStateException with why
 * }</pre>
 *
 * <p>The library lives beside {@code libgatun.so}: in the directory {@link GatunLibrary}
 * loaded that from (its {@value GatunLibrary#PATH_PROPERTY} directory, its class path
 * directory, or the cache it extracted the jar's libraries to). The build makes it only
 * where {@code nvcc} was found, so its absence is an ordinary outcome, reported by
 * {@link #failure()} as "libgatun_cuda.so was not built (no nvcc at build time)".
 *
 * <p>CUDA's runtime is linked into the library statically: loading it needs no GPU, no
 * driver and no toolkit, and calling {@code gatun_cuda_device_count} on a machine without a
 * GPU answers 0. Loading checks that {@code gatun_cuda_abi_version()} equals
 * {@link gatun_cuda_h#GATUN_CUDA_ABI_VERSION}.
 */
public final class GatunCudaLibrary {
    /** The file name of the CUDA library. */
    public static final String LIBRARY = "libgatun_cuda.so";

    private static final System.Logger LOG = System.getLogger(GatunCudaLibrary.class.getName());
    // Lives as long as this class: the library is unloaded only with its class loader.
    private static final Arena ARENA = Arena.ofAuto();
    private static final LoadOutcome OUTCOME = load();

    private GatunCudaLibrary() {}


    /**
     * The symbols of the loaded library.
     *
     * @throws IllegalStateException if it could not be loaded, saying why and where it looked
     */
    public static SymbolLookup lookup() {
        return OUTCOME.require();
    }

    /**
     * The address of {@code symbol} in the library.
     *
     * @throws IllegalStateException if the library could not be loaded
     * @throws UnsatisfiedLinkError if the library lacks the symbol
     */
    public static MemorySegment find(String symbol) {
        return OUTCOME.find(symbol);
    }

    /** Why the library could not be loaded, or empty if it is loaded. */
    public static Optional<String> failure() {
        return OUTCOME.why();
    }

    /** The file the library was loaded from, or empty if it was not loaded. */
    public static Optional<Path> path() {
        return Optional.ofNullable(OUTCOME.source()).map(Path::of);
    }

    private static LoadOutcome load() {
        Optional<Path> cpuLibrary = GatunLibrary.path();
        if (cpuLibrary.isEmpty()) {
            return failed(LIBRARY + " is looked for beside libgatun.so, which did not load: "
                    + GatunLibrary.failure().orElse("(no reason given)"));
        }
        Path path = cpuLibrary.get().resolveSibling(LIBRARY);
        if (!Files.isRegularFile(path)) {
            return failed(LIBRARY + " was not built (no nvcc at build time): there is no "
                    + path);
        }
        try {
            SymbolLookup lookup;
            try {
                lookup = SymbolLookup.libraryLookup(path, ARENA);
            } catch (IllegalArgumentException e) {
                return failed("the dynamic linker could not load " + path + ": "
                        + e.getMessage());
            }
            int version = abiVersion(lookup, path);
            if (version != gatun_cuda_h.GATUN_CUDA_ABI_VERSION) {
                return failed(path + " has ABI version " + version + " but these bindings"
                        + " need " + gatun_cuda_h.GATUN_CUDA_ABI_VERSION + "; rebuild the"
                        + " bindings and the library together");
            }
            LOG.log(Level.DEBUG, "loaded {0}", path);
            return LoadOutcome.loaded(lookup, path.toString());
        } catch (RuntimeException e) {
            return failed(e.toString());
        }
    }

    private static LoadOutcome failed(String why) {
        return LoadOutcome.failed("Gatun's CUDA library is unavailable: " + why);
    }

    private static int abiVersion(SymbolLookup lookup, Path path) {
        MemorySegment symbol = lookup.find("gatun_cuda_abi_version").orElseThrow(() ->
                new IllegalStateException(path + " has no gatun_cuda_abi_version: not "
                        + LIBRARY + "?"));
        var handle = Linker.nativeLinker().downcallHandle(symbol,
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        try {
            return (int) handle.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("calling gatun_cuda_abi_version in " + path
                    + " failed", t);
        }
    }
}
