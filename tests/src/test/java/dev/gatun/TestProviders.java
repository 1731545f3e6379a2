package dev.gatun;

/**
 * Backend providers that only the "backend-spi" test execution registers (through
 * src/test/spi/META-INF/services), as a library adding its own backend would.
 */
final class TestProviders {
    private TestProviders() {}

    /** A backend whose library is "missing": listed, never created. */
    public static final class Unusable implements BackendProvider {
        static final String REASON = "libtest.so was not found (a test provider)";

        @Override
        public String name() {
            return "test-unusable";
        }

        @Override
        public int priority() {
            return 1000; // above native: still never the default, since it cannot run
        }

        @Override
        public Availability probe() {
            return Availability.no(REASON);
        }

        @Override
        public Backend create() {
            throw new IllegalStateException("backend 'test-unusable' cannot run here: "
                    + REASON);
        }
    }

    /** A provider whose probe throws: listed as unusable with the exception. */
    public static final class Broken implements BackendProvider {
        @Override
        public String name() {
            return "test-broken";
        }

        @Override
        public int priority() {
            return 1;
        }

        @Override
        public Availability probe() {
            throw new UnsatisfiedLinkError("test-broken: symbol gatun_probe not found");
        }

        @Override
        public Backend create() {
            throw new AssertionError("never created");
        }
    }
}
