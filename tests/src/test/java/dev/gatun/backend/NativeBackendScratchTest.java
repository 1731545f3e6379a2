package dev.gatun.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatun.Backends;
import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The native library's memory outside any scope ({@link NativeBackend#scratchStats()}):
 * per-call buffers are gone when a call returns, and the scratch a thread grew is freed when
 * that thread ends, so an application that starts a thread per request does not leak.
 */
class NativeBackendScratchTest {

    static NativeBackend nativeBackend() {
        Backends.Info info = Backends.list().stream().filter(i -> i.name().equals("native"))
                .findFirst().orElse(null);
        assumeTrue(info != null && info.usable(), () -> "native backend cannot run here: "
                + (info == null ? "not on the class path" : info.reason()));
        return (NativeBackend) Backends.get("native");
    }

    /** Layer norm and softmax over [rows, 4096]: both grow per-thread scratch. */
    static void work(NativeBackend backend) {
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(backend, scope);
            Tensor x = Tensor.allocate(scope, DType.F32, 64, 4096);
            ops.layerNorm(x, null, null, 1e-5f).toFloatArray();
            ops.softmax(x).toFloatArray();
        }
    }

    @Test
    void scratchOfThreadsThatEndedIsFreed() throws Exception {
        NativeBackend backend = nativeBackend();
        work(backend); // this thread's own scratch, kept while it lives
        NativeBackend.ScratchStats before = NativeBackend.scratchStats();
        assertEquals(0, before.bufferBytes(), "no call is running: " + before);

        AtomicReference<NativeBackend.ScratchStats> during = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                work(backend);
                during.accumulateAndGet(NativeBackend.scratchStats(),
                        (a, b) -> a == null || b.scratchBytes() > a.scratchBytes() ? b : a);
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertTrue(during.get().scratchBytes() > before.scratchBytes()
                && during.get().scratchThreads() > before.scratchThreads(),
                "the threads grew scratch of their own: " + before + " -> " + during.get());

        // their OpenMP workers end shortly after them: wait for the count to settle
        NativeBackend.ScratchStats after = NativeBackend.scratchStats();
        for (int i = 0; i < 200 && after.scratchBytes() > before.scratchBytes(); i++) {
            Thread.sleep(10);
            after = NativeBackend.scratchStats();
        }
        assertEquals(before.scratchBytes(), after.scratchBytes(), "scratch of ended threads"
                + " is freed: before " + before + ", during " + during.get() + ", after "
                + after);
        assertEquals(0, after.bufferBytes(), after.toString());
    }
}
