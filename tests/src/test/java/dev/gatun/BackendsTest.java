package dev.gatun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Listing, choosing and pinning backends through the ServiceLoader SPI. */
class BackendsTest {

    @Test
    void listsEveryBackendWithWhetherItRunsAndWhyNot() {
        List<Backends.Info> all = Backends.list();
        List<String> names = all.stream().map(Backends.Info::name).toList();
        assertTrue(names.contains("native"), "native missing from " + all);
        assertTrue(names.contains("java"), "java missing from " + all);
        if (registered("dev.gatun.backend.cuda.CudaBackendProvider")) {
            assertTrue(names.contains("cuda"), "cuda missing from " + all);
        }
        for (Backends.Info info : all) {
            if (info.usable()) {
                assertEquals("", info.reason(), info.toString());
            } else {
                assertFalse(info.reason().isBlank(), "no reason given: " + info);
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> Backends.get(info.name()), info.toString());
                assertTrue(e.getMessage().contains(info.reason()), e.getMessage());
            }
        }
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.get(i - 1).priority() >= all.get(i).priority(),
                    "highest priority first: " + all);
        }
        Backends.Info java = all.get(names.indexOf("java"));
        assertTrue(java.usable(), "the Java backend runs everywhere: " + java);
    }

    @Test
    void setDefaultPinsAndRefusesWhatCannotRun() {
        String before = Backends.defaultBackend().name();
        try {
            Backends.setDefault("java");
            assertEquals("java", Backends.defaultBackend().name());

            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                    () -> Backends.setDefault("no-such-backend"));
            assertTrue(unknown.getMessage().contains("no-such-backend"), unknown.getMessage());
            for (Backends.Info info : Backends.list()) {
                if (!info.usable()) {
                    assertThrows(IllegalStateException.class,
                            () -> Backends.setDefault(info.name()), info.toString());
                }
            }
            assertEquals("java", Backends.defaultBackend().name(),
                    "a refused pin leaves the default as it was");
        } finally {
            Backends.setDefault(before);
        }
    }

    @Test
    void withoutAPinTheUsableBackendOfHighestPriorityIsChosenAndLogged() throws Exception {
        String want = Backends.list().stream().filter(Backends.Info::usable).findFirst()
                .orElseThrow().name();
        Run run = runMain(null);
        assertEquals(0, run.exit, run.toString());
        assertEquals("default=" + want, run.stdout.strip(), run.toString());
        assertTrue(run.stderr.contains("Gatun default backend: '" + want + "'"),
                "the choice is logged: " + run);
    }

    @Test
    void thePropertyPinsTheDefault() throws Exception {
        Run run = runMain("java");
        assertEquals(0, run.exit, run.toString());
        assertEquals("default=java", run.stdout.strip(), run.toString());
        assertTrue(run.stderr.contains(
                "Gatun default backend: 'java' (pinned by -Dgatun.backend)"),
                "the pin is logged: " + run);
    }

    @Test
    void aPinnedBackendThatCannotRunIsAnErrorNotAFallback() throws Exception {
        Run unknown = runMain("no-such-backend");
        assertEquals(3, unknown.exit, unknown.toString());
        assertTrue(unknown.stdout.contains("IllegalArgumentException: no backend named"
                + " 'no-such-backend'"), unknown.toString());

        for (Backends.Info info : Backends.list()) {
            if (!info.usable()) {
                Run run = runMain(info.name());
                assertEquals(3, run.exit, run.toString());
                assertTrue(run.stdout.contains("IllegalStateException: backend '"
                        + info.name() + "' cannot run here"), run.toString());
                assertTrue(run.stdout.contains("pinned by -Dgatun.backend"), run.toString());
            }
        }
    }

    static boolean registered(String className) {
        try {
            Class.forName(className, false, Backends.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    record Run(int exit, String stdout, String stderr) {}

    /** BackendsMain in a fresh JVM with this class path, -Dgatun.backend=pin unless null. */
    static Run runMain(String pin) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        if (pin != null) {
            cmd.add("-Dgatun.backend=" + pin);
        }
        cmd.add(BackendsMain.class.getName());
        Path err = Files.createTempFile("gatun-backends", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
            pb.environment().remove(Backends.ENVIRONMENT);
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("BackendsMain did not finish in 60 s: " + cmd);
            }
            return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                    Files.readString(err));
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
