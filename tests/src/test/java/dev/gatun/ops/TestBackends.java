package dev.gatun.ops;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatun.Backend;
import dev.gatun.Backends;
import dev.gatun.Device;
import dev.gatun.backend.JavaBackend;
import dev.gatun.backend.JavaKernels;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The backends every op test runs on: each backend {@link Backends#list()} finds, plus the
 * Java backend forced onto its scalar kernels. A backend that cannot run here stays in the
 * list and its tests are skipped with the reason, so the skip is visible in the report.
 */
final class TestBackends {
    private TestBackends() {}

    /** One backend under test, or the reason it is skipped. */
    record Case(String label, Backend backend, String skipReason) {
        /** The backend; skips the calling test (visibly) when it cannot run here. */
        Backend require() {
            assumeTrue(backend != null, () -> label + " skipped: " + skipReason);
            return backend;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    static Stream<Case> all() {
        List<Case> cases = new ArrayList<>();
        for (Backends.Info info : Backends.list()) {
            if (!info.usable()) {
                cases.add(new Case(info.name(), null, "cannot run here: " + info.reason()));
                continue;
            }
            Backend b = Backends.get(info.name());
            if (b.device() != Device.CPU) {
                cases.add(new Case(info.name(), null, "computes on " + b.device()
                        + "; the op tests build and read their data in host memory"));
                continue;
            }
            String label = b instanceof JavaBackend jb ? "java-" + jb.kernelsName() : b.name();
            cases.add(new Case(label, b, null));
        }
        cases.add(new Case("java-scalar(forced)", new JavaBackend(JavaKernels.scalar()), null));
        return cases.stream();
    }
}
