package dev.gatun.bindings;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.stream.Stream;

/**
 * Finds and loads {@code libgatun.so}, the CPU backend, once per class loader.
 *
 * <pre>{@code
 * Optional<String> why = GatunLibrary.failure();   // empty once loaded
 * SymbolLookup symbols = GatunLibrary.lookup();    // throws IllegalStateException with why
 * }</pre>
 *
 * <p>Where it looks, in order:
 * <ol>
 *   <li>the directory named by the system property {@value #PATH_PROPERTY}, if set (and then
 *       nowhere else);
 *   <li>the class path resources under {@value #RESOURCE_DIR}, which the bindings build puts
 *       there: used in place when they are plain files, else (inside a jar) extracted with
 *       oneDNN and libgomp to a per-user cache directory named by a hash of their contents
 *       ({@value #CACHE_PROPERTY}, else {@code $XDG_CACHE_HOME/gatun}, else
 *       {@code ~/.cache/gatun}), each file written to a temporary name and moved into place
 *       atomically so that concurrent JVMs never load a partial file.
 * </ol>
 * {@code libgatun.so} finds {@code libdnnl.so.3} and {@code libgomp.so.1} beside itself (its
 * run path is {@code $ORIGIN}). {@code libgatun_cuda.so}, where the build made it, is extracted
 * beside them too, but loaded only by {@link GatunCudaLibrary}.
 *
 * <p>The library is opened with {@link SymbolLookup#libraryLookup(Path, Arena)}, not
 * {@link System#load}, so that classes from several class loaders can each load it (the
 * dynamic linker shares one copy); it stays loaded while this class is reachable. Loading
 * checks that the CPU has what the library was compiled for (x86-64-v3: AVX2, FMA, F16C)
 * and that {@code gatun_abi_version()} equals {@link gatun_h#GATUN_ABI_VERSION}.
 */
public final class GatunLibrary {
    /** System property: a directory holding libgatun.so (and its dependencies). */
    public static final String PATH_PROPERTY = "gatun.library.path";
    /** System property: where libraries extracted from a jar are cached. */
    public static final String CACHE_PROPERTY = "gatun.cache.dir";
    /** Class path directory of the native libraries. */
    public static final String RESOURCE_DIR = "dev/gatun/native/linux-x86_64/";

    static final String LIBRARY = "libgatun.so";
    /** libgatun.so first; the rest are its dependencies, extracted beside it. */
    static final List<String> FILES = List.of(LIBRARY, "libdnnl.so.3", "libgomp.so.1");
    /** Extracted with FILES when the class path has them: built only where nvcc was found. */
    static final List<String> OPTIONAL_FILES = List.of(GatunCudaLibrary.LIBRARY);
    /** x86-64-v3 as /proc/cpuinfo names it; see CMakeLists.txt. */
    static final Set<String> CPU_FLAGS = Set.of("avx", "avx2", "fma", "f16c", "bmi1", "bmi2");

    /** GOMP_SPINCOUNT used when the environment sets no OpenMP wait policy. */
    static final String OPENMP_SPIN_COUNT = "1000";

    private static final System.Logger LOG = System.getLogger(GatunLibrary.class.getName());
    // Lives as long as this class: the library is unloaded only with its class loader.
    private static final Arena ARENA = Arena.ofAuto();
    private static final LoadOutcome OUTCOME = load();

    private GatunLibrary() {}


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

    // ---- loading ------------------------------------------------------------------------------

    private static LoadOutcome load() {
        List<String> tried = new ArrayList<>();
        try {
            String platform = checkPlatform();
            if (platform != null) {
                return failed(platform, tried);
            }
            Path path = locate(tried);
            if (path == null) {
                return failed("libgatun.so was not found", tried);
            }
            shortOpenMpSpin();
            SymbolLookup lookup;
            try {
                lookup = SymbolLookup.libraryLookup(path, ARENA);
            } catch (IllegalArgumentException e) {
                return failed("the dynamic linker could not load " + path + ": "
                        + e.getMessage(), tried);
            }
            int version = abiVersion(lookup, path);
            if (version != gatun_h.GATUN_ABI_VERSION) {
                return failed(path + " has ABI version " + version + " but these bindings"
                        + " need " + gatun_h.GATUN_ABI_VERSION + "; rebuild the bindings"
                        + " and the library together", tried);
            }
            LOG.log(Level.DEBUG, "loaded {0}", path);
            return LoadOutcome.loaded(lookup, path.toString());
        } catch (IOException | RuntimeException e) {
            return failed(e.toString(), tried);
        }
    }

    /**
     * Makes idle OpenMP threads spin only briefly before they sleep, unless the user chose a
     * policy.
     *
     * <p>libgomp's idle threads spin for about 300,000 iterations after every parallel region.
     * Inside a JVM that shares its cores with GC, JIT and application threads, the spinning
     * starves the thread doing the work: on a 2-core machine under a load average of about 5,
     * one MiniLM sentence on the native backend took 133 ms with the default and 12 ms with
     * passive waiting (bench/RESULTS.md). Fully passive waiting costs a futex wake per
     * parallel region instead, about 70 us on the 2-core VM measured, and a MiniLM sentence
     * runs about 30 oneDNN regions. A spin of 1000 iterations (tens of microseconds) bridges
     * the gap between consecutive ops and then sleeps. MiniLM latency per sentence, measured
     * on that machine: quiet, 5.6 ms passive, 3.8 ms with 1000, 3.9 ms with 10000; with one
     * busy process beside it, 7.2 passive, 8.8 with 1000, 19.6 with 10000; with two, 10.9 and
     * 12.2 with 1000. libgomp reads the setting once, when it is loaded, so it is set before
     * libgatun.so (and with it libgomp) loads. Setting OMP_WAIT_POLICY or GOMP_SPINCOUNT in
     * the environment overrides this (OMP_WAIT_POLICY=PASSIVE for a machine shared with
     * other busy processes).
     */
    private static void shortOpenMpSpin() {
        if (System.getenv("OMP_WAIT_POLICY") != null || System.getenv("GOMP_SPINCOUNT") != null) {
            return;
        }
        Linker linker = Linker.nativeLinker();
        MemorySegment setenv = linker.defaultLookup().find("setenv").orElse(null);
        if (setenv == null) {
            LOG.log(Level.WARNING, "libc has no setenv: OpenMP keeps its default spinning");
            return;
        }
        MethodHandle handle = linker.downcallHandle(setenv, FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) handle.invokeExact(arena.allocateFrom("GOMP_SPINCOUNT"),
                    arena.allocateFrom(OPENMP_SPIN_COUNT), 0);
            LOG.log(rc == 0 ? Level.DEBUG : Level.WARNING, "GOMP_SPINCOUNT="
                    + OPENMP_SPIN_COUNT + " for libgomp: setenv returned " + rc);
        } catch (Throwable t) {
            LOG.log(Level.WARNING, "could not set GOMP_SPINCOUNT: " + t);
        }
    }

    private static LoadOutcome failed(String why, List<String> tried) {
        String where = tried.isEmpty() ? "" : " (looked at: " + String.join(", ", tried) + ")";
        return LoadOutcome.failed("Gatun's native library is unavailable: " + why + where);
    }

    /** Null when this OS, architecture and CPU can run the library; else why not. */
    private static String checkPlatform() throws IOException {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")
                || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return "it is built for linux-x86_64 only, this JVM runs on " + os + "/" + arch;
        }
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return null; // cannot tell: let the load try
        }
        Optional<String> flags;
        try (Stream<String> lines = Files.lines(cpuinfo, StandardCharsets.ISO_8859_1)) {
            flags = lines.filter(l -> l.startsWith("flags")).findFirst();
        }
        if (flags.isEmpty()) {
            return null;
        }
        return missingCpuFlags(flags.get());
    }

    /**
     * Null when the "flags" line of /proc/cpuinfo lists every flag of {@link #CPU_FLAGS},
     * else why the library cannot run (the reason {@code Backends.list()} shows for native).
     */
    static String missingCpuFlags(String flagsLine) {
        String list = flagsLine.substring(flagsLine.indexOf(':') + 1).trim();
        Set<String> have = Set.of(list.split("\\s+"));
        List<String> missing = CPU_FLAGS.stream().filter(f -> !have.contains(f)).sorted()
                .toList();
        return missing.isEmpty() ? null : "this CPU lacks " + missing
                + ", which the library needs (x86-64-v3: Haswell, Zen 1 or newer)";
    }

    /** The path of libgatun.so to load, or null; every place looked at goes into tried. */
    private static Path locate(List<String> tried) throws IOException {
        String dir = System.getProperty(PATH_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            Path candidate = Path.of(dir).resolve(LIBRARY);
            tried.add(candidate + " (from -D" + PATH_PROPERTY + ")");
            return Files.isRegularFile(candidate) ? candidate : null;
        }
        URL url = resource(LIBRARY);
        if (url == null) {
            tried.add("class path resource " + RESOURCE_DIR + LIBRARY
                    + " (is gatun-bindings, built with its native libraries, on the class path?)");
            return null;
        }
        tried.add(url.toString());
        if (url.getProtocol().equals("file")) {
            try {
                return Path.of(url.toURI());
            } catch (URISyntaxException e) {
                throw new IOException("bad resource URL " + url, e);
            }
        }
        Path extracted = extract(tried);
        return Files.isRegularFile(extracted) ? extracted : null;
    }

    /** FILES, then those of OPTIONAL_FILES that the class path holds. */
    private static List<String> present() {
        List<String> names = new ArrayList<>(FILES);
        OPTIONAL_FILES.stream().filter(n -> resource(n) != null).forEach(names::add);
        return names;
    }

    private static URL resource(String name) {
        return GatunLibrary.class.getResource("/" + RESOURCE_DIR + name);
    }

    /** Copies the libraries out of their jar into the cache, once per distinct content. */
    private static Path extract(List<String> tried) throws IOException {
        Path dir = cacheRoot().resolve("native").resolve(contentKey());
        tried.add(dir.resolve(LIBRARY).toString());
        Files.createDirectories(dir);
        for (String name : present()) {
            Path target = dir.resolve(name);
            if (Files.isRegularFile(target)) {
                continue; // same content key, so same bytes: written whole by an earlier JVM
            }
            LOG.log(Level.INFO, "extracting {0} to {1}", name, dir);
            Path partial = Files.createTempFile(dir, name, ".partial");
            try (InputStream in = resource(name).openStream()) {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                moveIntoPlace(partial, target);
            } finally {
                Files.deleteIfExists(partial);
            }
        }
        return dir.resolve(LIBRARY);
    }

    private static void moveIntoPlace(Path partial, Path target) throws IOException {
        try {
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the cache directory " + target.getParent()
                    + " does not support atomic moves; set -D" + CACHE_PROPERTY
                    + " to a directory on a local file system", e);
        }
    }

    private static Path cacheRoot() {
        String configured = System.getProperty(CACHE_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "gatun");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "gatun");
    }

    /**
     * A hash of the libraries' contents. Inside a jar it hashes each entry's size and CRC-32
     * from the jar's directory, which is cheap (oneDNN alone is ~90 MB); elsewhere it hashes
     * the bytes.
     */
    private static String contentKey() throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
        for (String name : present()) {
            URL url = resource(name);
            if (url == null) {
                throw new IOException("class path resource " + RESOURCE_DIR + name
                        + " is missing beside " + LIBRARY);
            }
            digest.update(name.getBytes(StandardCharsets.UTF_8));
            URLConnection connection = url.openConnection();
            JarEntry entry = connection instanceof JarURLConnection jar ? jar.getJarEntry() : null;
            if (entry != null && entry.getCrc() != -1 && entry.getSize() != -1) {
                digest.update((entry.getSize() + ":" + entry.getCrc())
                        .getBytes(StandardCharsets.UTF_8));
            } else {
                try (InputStream in = connection.getInputStream()) {
                    byte[] buffer = new byte[1 << 16];
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        digest.update(buffer, 0, n);
                    }
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest(), 0, 12);
    }

    private static int abiVersion(SymbolLookup lookup, Path path) {
        MemorySegment symbol = lookup.find("gatun_abi_version").orElseThrow(() ->
                new IllegalStateException(path + " has no gatun_abi_version: not libgatun?"));
        var handle = Linker.nativeLinker().downcallHandle(symbol,
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        try {
            return (int) handle.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("calling gatun_abi_version in " + path + " failed",
                    t);
        }
    }
}
