package dev.gatun;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the backends on the class path and chooses the default one, explicitly and loudly.
 *
 * <pre>{@code
 * for (Backends.Info info : Backends.list()) {
 *     System.out.println(info.name() + ": " + (info.usable() ? "usable" : info.reason()));
 * }
 * Backend java = Backends.get("java");
 * }</pre>
 *
 * <p>The default backend is, in order: the one named by the system property
 * {@code gatun.backend} or the environment variable {@code GATUN_BACKEND} (an error if it
 * cannot run: a pinned choice is never replaced silently), else the usable backend of highest
 * priority (native, then java; cuda has the lowest priority, so a device backend is the
 * default only when pinned). The choice is logged once through {@link System.Logger} and
 * can be read back with {@link #defaultBackend()}{@code .name()}.
 */
public final class Backends {
    private static final System.Logger LOG = System.getLogger("dev.gatun.Backends");
    private static final Map<String, Backend> CREATED = new ConcurrentHashMap<>();
    private static volatile Backend defaultBackend;

    private Backends() {}

    /** One backend found on the class path. */
    public record Info(String name, int priority, boolean usable, String reason) {}

    /** Every backend found, highest priority first, with whether it can run here and why not. */
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

    /** The default backend (see the class documentation for how it is chosen). */
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
     * Pins the default backend for this JVM (a library embedding Gatun calls this once at
     * start-up), and logs the choice.
     */
    public static void setDefault(String name) {
        Backend b = get(name);
        synchronized (Backends.class) {
            defaultBackend = b;
        }
        LOG.log(Level.INFO, "Gatun default backend pinned to ''{0}''", name);
    }

    private static Backend chooseDefault() {
        String pinned = System.getProperty("gatun.backend", System.getenv("GATUN_BACKEND"));
        if (pinned != null && !pinned.isBlank()) {
            Backend b = get(pinned.trim());
            LOG.log(Level.INFO, "Gatun default backend: ''{0}'' (pinned by gatun.backend)",
                    b.name());
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

    private static List<BackendProvider> providers() {
        List<BackendProvider> all = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())
                .forEach(all::add);
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
