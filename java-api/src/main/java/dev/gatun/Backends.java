package dev.gatun;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the backends on the class path and chooses the default one, explicitly and loudly.
 *
 * <pre>{@code
 * for (Backends.Info info : Backends.list()) {
 *     System.out.println(info.name() + ": " + (info.usable() ? "usable" : info.reason()));
 * }
 * // native: usable
 * // java: usable
 * // cuda: no CUDA device (cudaGetDeviceCount: ...)
 * Backend java = Backends.get("java");
 * }</pre>
 *
 * <p>Backends are found with {@link ServiceLoader}: every {@link BackendProvider} named in a
 * {@code META-INF/services/dev.gatun.BackendProvider} file visible to the class loader of
 * Gatun or to the calling thread's context class loader (an application server's, for
 * instance). Gatun registers "native" (oneDNN; needs Linux x86-64 with AVX2, FMA and F16C),
 * "java" (runs everywhere) and, where built, "cuda"; a library adds its own the same way.
 * A provider whose probe throws is listed as unusable with the exception as its reason.
 *
 * <p>The default backend is, in order:
 * <ol>
 *   <li>the one pinned by {@link #setDefault(String)} (a library embedding Gatun calls it
 *       once at start-up);
 *   <li>else the one named by the system property {@value #PROPERTY} or the environment
 *       variable {@code GATUN_BACKEND};
 *   <li>else the usable backend of highest priority (native, then java; cuda has the lowest
 *       priority, so a device backend is the default only when pinned).
 * </ol>
 * A pinned backend that cannot run is an error ({@link IllegalStateException} with the
 * probe's reason), never replaced silently by another. The choice, and why any backend of
 * higher priority was passed over, is logged once through {@link System.Logger}
 * ({@code dev.gatun.Backends}) and can be read back with
 * {@link #defaultBackend()}{@code .name()}.
 *
 * <p>Thread safety: every method may be called from any thread; each backend is created
 * once per JVM (per class loader of Gatun) and shared.
 */
public final class Backends {
    /** The system property that names the default backend (see the class notes). */
    public static final String PROPERTY = "gatun.backend";
    /** The environment variable read when {@value #PROPERTY} is not set. */
    public static final String ENVIRONMENT = "GATUN_BACKEND";

    private static final System.Logger LOG = System.getLogger("dev.gatun.Backends");
    private static final Map<String, Backend> CREATED = new ConcurrentHashMap<>();
    private static volatile Backend defaultBackend;

    private Backends() {}

    /**
     * One backend found on the class path.
     *
     * @param name     what {@link #get} and {@value #PROPERTY} accept
     * @param priority higher wins when the default is chosen among usable backends
     * @param usable   whether the backend can run on this machine
     * @param reason   why it cannot ("" when usable): a missing library, no GPU, a CPU
     *                 without the instruction sets the library was built for, ...
     */
    public record Info(String name, int priority, boolean usable, String reason) {}

    /**
     * Every backend found, highest priority first, with whether it can run here and why not.
     * Probing loads libraries (once per JVM) but creates no backend.
     */
    public static List<Info> list() {
        List<Info> out = new ArrayList<>();
        for (BackendProvider p : providers()) {
            BackendProvider.Availability a = safeProbe(p);
            out.add(new Info(p.name(), p.priority(), a.usable(), a.reason()));
        }
        return out;
    }

    /**
     * The backend called {@code name}, created once and shared.
     *
     * @throws IllegalArgumentException if no backend has that name
     * @throws IllegalStateException if it cannot run here, with the reason
     */
    public static Backend get(String name) {
        Backend cached = CREATED.get(name);
        if (cached != null) {
            return cached;
        }
        for (BackendProvider p : providers()) {
            if (p.name().equals(name)) {
                BackendProvider.Availability a = safeProbe(p);
                if (!a.usable()) {
                    throw new IllegalStateException("backend '" + name
                            + "' cannot run here: " + a.reason());
                }
                return CREATED.computeIfAbsent(name, n -> p.create());
            }
        }
        List<String> names = providers().stream().map(BackendProvider::name).toList();
        throw new IllegalArgumentException("no backend named '" + name + "'; found " + names);
    }

    /**
     * The default backend, chosen on first use (see the class notes) and then kept.
     *
     * @throws IllegalArgumentException if {@value #PROPERTY} names no backend
     * @throws IllegalStateException if the pinned backend cannot run here, or no backend can
     */
    public static Backend defaultBackend() {
        Backend b = defaultBackend;
        if (b == null) {
            synchronized (Backends.class) {
                if (defaultBackend == null) {
                    defaultBackend = chooseDefault();
                }
                b = defaultBackend;
            }
        }
        return b;
    }

    /**
     * Pins the default backend for this JVM, replacing any earlier choice, and logs it. A
     * library embedding Gatun calls this once at start-up, before its first model load; a
     * pin wins over {@value #PROPERTY}.
     *
     * <pre>{@code
     * Backends.setDefault("java");   // every later Backends.defaultBackend() is "java"
     * }</pre>
     *
     * @throws IllegalArgumentException if no backend has that name
     * @throws IllegalStateException if it cannot run here, with the reason; the default is
     *     then left as it was
     */
    public static void setDefault(String name) {
        Backend b = get(name);
        synchronized (Backends.class) {
            defaultBackend = b;
        }
        LOG.log(Level.INFO, "Gatun default backend pinned to ''{0}''", name);
    }

    private static Backend chooseDefault() {
        String property = System.getProperty(PROPERTY);
        String source = "-D" + PROPERTY;
        if (property == null || property.isBlank()) {
            property = System.getenv(ENVIRONMENT);
            source = ENVIRONMENT;
        }
        if (property != null && !property.isBlank()) {
            Backend b;
            try {
                b = get(property.trim());
            } catch (IllegalStateException e) {
                throw new IllegalStateException(e.getMessage() + " (pinned by " + source
                        + "; Gatun does not replace a pinned backend)", e);
            }
            LOG.log(Level.INFO, "Gatun default backend: ''{0}'' (pinned by {1})", b.name(),
                    source);
            return b;
        }
        List<String> skipped = new ArrayList<>();
        for (BackendProvider p : providers()) {
            BackendProvider.Availability a = safeProbe(p);
            if (a.usable()) {
                Backend b = get(p.name());
                if (skipped.isEmpty()) {
                    LOG.log(Level.INFO, "Gatun default backend: ''{0}''", b.name());
                } else {
                    LOG.log(Level.WARNING, "Gatun default backend: ''{0}'' because {1}",
                            b.name(), String.join("; ", skipped));
                }
                return b;
            }
            skipped.add(p.name() + " cannot run: " + a.reason());
        }
        throw new IllegalStateException("no Gatun backend can run here: " + skipped);
    }

    /** Providers of Gatun's class loader, then the context loader's, highest priority first. */
    private static List<BackendProvider> providers() {
        Map<String, BackendProvider> byClass = new LinkedHashMap<>();
        ClassLoader own = Backends.class.getClassLoader();
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        List<ClassLoader> loaders = context == null || context == own
                ? List.of(own) : List.of(own, context);
        for (ClassLoader loader : loaders) {
            Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class, loader)
                    .iterator();
            // bounded: ServiceLoader only tries its best to get past a broken entry
            for (int errors = 0; errors < 16; ) {
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    BackendProvider p = it.next();
                    byClass.putIfAbsent(p.getClass().getName(), p);
                } catch (ServiceConfigurationError e) {
                    // one broken registration must not hide the other backends
                    errors++;
                    LOG.log(Level.WARNING, "Gatun: a backend provider cannot be loaded: {0}",
                            e.getMessage());
                }
            }
        }
        List<BackendProvider> all = new ArrayList<>(byClass.values());
        all.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
        return all;
    }

    private static BackendProvider.Availability safeProbe(BackendProvider p) {
        try {
            return p.probe();
        } catch (RuntimeException | LinkageError e) {
            return BackendProvider.Availability.no(e.toString());
        }
    }
}
