package dev.gatun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Providers registered by a library's own META-INF/services file show up beside Gatun's.
 * Runs in the "backend-spi" execution of tests/pom.xml, whose class path adds
 * src/test/spi (so that the other tests do not see these providers).
 */
class BackendProviderSpiTest {
    static final String SERVICES = "META-INF/services/" + BackendProvider.class.getName();

    @BeforeEach
    void requireTheTestRegistration() {
        boolean registered = BackendProviderSpiTest.class.getClassLoader()
                .resources(SERVICES).anyMatch(u -> u.getPath().contains("/src/test/spi/"));
        assumeTrue(registered, "runs in the backend-spi execution, whose class path has"
                + " src/test/spi");
    }

    @Test
    void aLibrarysProvidersAreListedBesideGatuns() {
        Map<String, Backends.Info> byName = Backends.list().stream()
                .collect(Collectors.toMap(Backends.Info::name, Function.identity()));
        assertTrue(byName.keySet().containsAll(List.of("native", "java", "test-unusable",
                "test-broken")), "listed: " + byName.keySet());

        Backends.Info unusable = byName.get("test-unusable");
        assertEquals(new Backends.Info("test-unusable", 1000, false,
                TestProviders.Unusable.REASON), unusable);
        assertEquals("test-unusable", Backends.list().getFirst().name(),
                "highest priority first");

        Backends.Info broken = byName.get("test-broken");
        assertFalse(broken.usable());
        assertTrue(broken.reason().contains("symbol gatun_probe not found"), broken.reason());
    }

    @Test
    void anUnusableProviderIsNeverTheDefaultNorReplacedWhenPinned() {
        // priority 1000 > native's 100, but it cannot run: the default passes over it
        String chosen = Backends.defaultBackend().name();
        assertFalse(chosen.startsWith("test-"), chosen);

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Backends.setDefault("test-unusable"));
        assertTrue(e.getMessage().contains(TestProviders.Unusable.REASON), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> Backends.get("test-broken"));
        assertTrue(e.getMessage().contains("symbol gatun_probe not found"), e.getMessage());
        assertEquals(chosen, Backends.defaultBackend().name());
    }
}
