package dev.gatun.bindings;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.util.Optional;

/**
 * What loading one native library gave, shared by the three loaders ({@link GatunLibrary},
 * {@link GatunCudaLibrary}, {@link CudaRuntimeLibrary}): its symbols and where they came
 * from, or why there are none. Each loader computes one when its class initialises and
 * answers its public questions from it.
 *
 * @param symbols the library's symbols, or null if it did not load
 * @param source  the file (or linker name) it was loaded from, or null
 * @param failure why it did not load, or null if it did
 */
record LoadOutcome(SymbolLookup symbols, String source, String failure) {

    static LoadOutcome loaded(SymbolLookup symbols, String source) {
        return new LoadOutcome(symbols, source, null);
    }

    static LoadOutcome failed(String why) {
        return new LoadOutcome(null, null, why);
    }

    /** The symbols; IllegalStateException with the failure if the library did not load. */
    SymbolLookup require() {
        if (symbols == null) {
            throw new IllegalStateException(failure);
        }
        return symbols;
    }

    /**
     * The address of {@code symbol}.
     *
     * @throws IllegalStateException if the library did not load
     * @throws UnsatisfiedLinkError if it lacks the symbol
     */
    MemorySegment find(String symbol) {
        return require().find(symbol).orElseThrow(() -> new UnsatisfiedLinkError(
                "symbol " + symbol + " not found in " + source));
    }

    Optional<String> why() {
        return Optional.ofNullable(failure);
    }
}
