package dev.gatun.bindings;

import java.io.File;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds and loads the CUDA runtime, {@code libcudart.so.13} (else {@code libcudart.so}), the
 * first time this class is used; nothing touches it before a CUDA backend is asked for.
 *
 * <pre>{@code
 * Optional<String> why = CudaRuntimeLibrary.failure();   // empty once loaded
 * }</pre>
 *
 * <p>Where it looks, in order, taking the first file that loads:
 * <ol>
 *   <li>each directory of {@code LD_LIBRARY_PATH};
 *   <li>{@code $CUDA_HOME/lib64}, then {@code $CUDA_PATH/lib64}, where those are set;
 *   <li>{@code /usr/local/cuda/lib64};
 *   <li>the dynamic linker's own search ({@code ld.so.cache}, the system directories).
 * </ol>
 * Loading the runtime needs no GPU: without a driver or a device it loads, and
 * {@code cudaGetDeviceCount} then answers with an error saying which is missing.
 */
public final class CudaRuntimeLibrary {
    /** The file names tried in each directory, newest first. */
    static final List<String> NAMES = List.of("libcudart.so.13", "libcudart.so");

    private static final System.Logger LOG =
            System.getLogger(CudaRuntimeLibrary.class.getName());
    private static final Arena ARENA = Arena.ofAuto();
    private static final LoadOutcome OUTCOME = load();

    private CudaRuntimeLibrary() {}


    /**
     * The symbols of the loaded runtime.
     *
     * @throws IllegalStateException if it could not be loaded, saying why and where it looked
     */
    public static SymbolLookup lookup() {
        return OUTCOME.require();
    }

    /**
     * The address of {@code symbol} in the runtime.
     *
     * @throws IllegalStateException if the runtime could not be loaded
     * @throws UnsatisfiedLinkError if the runtime lacks the symbol
     */
    public static MemorySegment find(String symbol) {
        return OUTCOME.find(symbol);
    }

    /** Why the runtime could not be loaded, or empty if it is loaded. */
    public static Optional<String> failure() {
        return OUTCOME.why();
    }

    /** The file (or, when the dynamic linker found it, the name) loaded; empty if none. */
    public static Optional<String> loaded() {
        return Optional.ofNullable(OUTCOME.source());
    }

    private static LoadOutcome load() {
        List<String> tried = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (Path dir : directories()) {
            for (String name : NAMES) {
                Path file = dir.resolve(name);
                tried.add(file.toString());
                if (!Files.isRegularFile(file)) {
                    continue;
                }
                try {
                    SymbolLookup lookup = SymbolLookup.libraryLookup(file, ARENA);
                    LOG.log(Level.DEBUG, "loaded {0}", file);
                    return LoadOutcome.loaded(lookup, file.toString());
                } catch (IllegalArgumentException e) {
                    refused.add(file + ": " + e.getMessage());
                }
            }
        }
        for (String name : NAMES) {
            tried.add(name + " (dynamic linker search)");
            try {
                SymbolLookup lookup = SymbolLookup.libraryLookup(name, ARENA);
                LOG.log(Level.DEBUG, "loaded {0} through the dynamic linker", name);
                return LoadOutcome.loaded(lookup, name);
            } catch (IllegalArgumentException e) {
                // not on the linker's path either: reported below with every place tried
            }
        }
        String why = refused.isEmpty() ? "" : "; found but not loadable: " + refused;
        return LoadOutcome.failed("libcudart not found (looked at: "
                + String.join(", ", tried) + ")" + why);
    }

    /** LD_LIBRARY_PATH's directories, then the CUDA homes, in order and without repeats. */
    private static Set<Path> directories() {
        Set<Path> dirs = new LinkedHashSet<>();
        String ldPath = System.getenv("LD_LIBRARY_PATH");
        if (ldPath != null) {
            for (String d : ldPath.split(File.pathSeparator)) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        for (String home : new String[] {"CUDA_HOME", "CUDA_PATH"}) {
            String value = System.getenv(home);
            if (value != null && !value.isBlank()) {
                dirs.add(Path.of(value, "lib64"));
            }
        }
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        return dirs;
    }
}
