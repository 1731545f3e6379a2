package dev.gatun.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading libgatun.so: from the class path, from a second class loader, from a jar. */
class GatunLibraryTest {

    @Test
    void loadsFromTheClassPathAndChecksTheAbiVersion() {
        assertEquals(Optional.empty(), GatunLibrary.failure());
        assertTrue(GatunLibrary.path().orElseThrow().endsWith("libgatun.so"),
                "loaded from " + GatunLibrary.path());
        assertEquals(gatun_h.GATUN_ABI_VERSION, gatun_h.gatun_abi_version());
    }

    @Test
    void aCpuWithoutAvx2IsRefusedWithTheMissingFlags() {
        String haswell = "flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma f16c bmi1 bmi2";
        assertNull(GatunLibrary.missingCpuFlags(haswell));

        // Sandy Bridge: AVX but no AVX2, FMA, BMI
        String sandy = "flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx f16c";
        String why = GatunLibrary.missingCpuFlags(sandy);
        assertEquals("this CPU lacks [avx2, bmi1, bmi2, fma], which the library needs"
                + " (x86-64-v3: Haswell, Zen 1 or newer)", why);
    }

    @Test
    void aSecondClassLoaderLoadsItToo() throws Exception {
        try (URLClassLoader other = isolatedLoader(classesDir().toUri().toURL())) {
            Class<?> h = Class.forName(gatun_h.class.getName(), true, other);
            assertNotSame(gatun_h.class, h);
            assertEquals(gatun_h.GATUN_ABI_VERSION, h.getMethod("gatun_abi_version").invoke(null));
        }
    }

    @Test
    void aMissingLibraryPathIsReportedWithThePathsTried(@TempDir Path empty) throws Exception {
        String before = System.getProperty(GatunLibrary.PATH_PROPERTY);
        System.setProperty(GatunLibrary.PATH_PROPERTY, empty.toString());
        try (URLClassLoader other = isolatedLoader(classesDir().toUri().toURL())) {
            Class<?> lib = Class.forName(GatunLibrary.class.getName(), true, other);
            Optional<?> failure = (Optional<?>) lib.getMethod("failure").invoke(null);
            String message = (String) failure.orElseThrow();
            assertTrue(message.contains("not found")
                            && message.contains(empty.resolve("libgatun.so").toString()),
                    "message: " + message);
        } finally {
            if (before == null) {
                System.clearProperty(GatunLibrary.PATH_PROPERTY);
            } else {
                System.setProperty(GatunLibrary.PATH_PROPERTY, before);
            }
        }
    }

    @Test
    void extractsFromAJarIntoTheCacheDirectory(@TempDir Path tmp) throws Exception {
        Path jar = tmp.resolve("gatun-bindings.jar");
        writeJar(classesDir(), jar);
        Path cache = tmp.resolve("cache");
        String before = System.getProperty(GatunLibrary.CACHE_PROPERTY);
        System.setProperty(GatunLibrary.CACHE_PROPERTY, cache.toString());
        try (URLClassLoader other = isolatedLoader(jar.toUri().toURL())) {
            Class<?> lib = Class.forName(GatunLibrary.class.getName(), true, other);
            Optional<?> failure = (Optional<?>) lib.getMethod("failure").invoke(null);
            assertEquals(Optional.empty(), failure);
            Path loaded = (Path) ((Optional<?>) lib.getMethod("path").invoke(null)).orElseThrow();
            assertTrue(loaded.startsWith(cache), "loaded " + loaded + ", not from " + cache);
            for (String name : GatunLibrary.FILES) {
                assertTrue(Files.isRegularFile(loaded.resolveSibling(name)), name + " missing");
            }
            Class<?> h = Class.forName(gatun_h.class.getName(), true, other);
            assertEquals(gatun_h.GATUN_ABI_VERSION, h.getMethod("gatun_abi_version").invoke(null));
        } finally {
            if (before == null) {
                System.clearProperty(GatunLibrary.CACHE_PROPERTY);
            } else {
                System.setProperty(GatunLibrary.CACHE_PROPERTY, before);
            }
        }
    }

    /** A loader that sees only url, not this test's class path. */
    private static URLClassLoader isolatedLoader(URL url) {
        return new URLClassLoader(new URL[] {url}, ClassLoader.getPlatformClassLoader());
    }

    private static Path classesDir() throws Exception {
        return Path.of(GatunLibrary.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI());
    }

    /** Jars the bindings' classes and native libraries, as the bindings build would. */
    private static void writeJar(Path classes, Path jar) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar);
             JarOutputStream jarOut = new JarOutputStream(out);
             Stream<Path> files = Files.walk(classes)) {
            jarOut.setLevel(1);
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                jarOut.putNextEntry(new JarEntry(classes.relativize(file).toString()));
                Files.copy(file, jarOut);
                jarOut.closeEntry();
            }
        }
    }
}
