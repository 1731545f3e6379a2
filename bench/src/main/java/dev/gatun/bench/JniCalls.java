package dev.gatun.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * JNI functions of {@code libgatun_bench_jni.so} (src/main/cpp), the reference point that
 * {@link CallOverheadBenchmark} puts beside FFM. Gatun itself never uses JNI.
 *
 * <p>The library is a class path resource built by bench/pom.xml; inside a jar it is copied
 * to a temporary file first, since the dynamic linker needs a path.
 */
public final class JniCalls {
    static final String RESOURCE = "/dev/gatun/bench/jni/libgatun_bench_jni.so";

    static {
        System.load(libraryPath().toString());
    }

    private JniCalls() {}

    /** Returns 1; does nothing else (the JNI twin of {@code gatun_abi_version}). */
    public static native int noop();

    /** {@code dst[i] = a[i] + b[i]} for i in [0, n), fp32 at off-heap addresses. */
    public static native void add(long a, long b, long dst, long n);

    /** {@code dst[i] = a[i] + b[i]} on Java arrays of one length, pinned while it runs. */
    public static native void addArrays(float[] a, float[] b, float[] dst);

    private static Path libraryPath() {
        URL url = JniCalls.class.getResource(RESOURCE);
        if (url == null) {
            throw new IllegalStateException("JniCalls: class path resource " + RESOURCE
                    + " is missing; build the bench module with Maven (it runs g++)");
        }
        try {
            if (url.getProtocol().equals("file")) {
                return Path.of(url.toURI());
            }
            Path copy = Files.createTempFile("gatun_bench_jni", ".so");
            copy.toFile().deleteOnExit();
            try (InputStream in = url.openStream()) {
                Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
            }
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException("JniCalls: cannot copy " + url + " out", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("JniCalls: bad resource URL " + url, e);
        }
    }
}
