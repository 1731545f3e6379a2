package dev.gatun.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatun.Activation;
import dev.gatun.Backend;
import dev.gatun.Backends;
import dev.gatun.DType;
import dev.gatun.MemoryStats;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.backend.JavaBackend;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Lifetimes: what happens to a tensor after its scope closes, closing twice, and closing a
 * scope while another thread computes on its memory. The rule under test is "an exception,
 * never a crash": memory is never read or written after it is freed.
 */
class LifetimeTest {

    private static void assertClosedError(Executable call, String op) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call, op);
        assertTrue(e.getMessage().contains(op) && e.getMessage().contains("closed"),
                "message should name '" + op + "' and say closed: " + e.getMessage());
    }

    @Test
    void aTensorOfAClosedScopeRefusesEveryAccessToItsMemory() {
        Tensor stale;
        Tensor ints;
        try (Scope scope = Scope.open()) {
            stale = Tensor.fromFloats(scope, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            ints = Tensor.fromInts(scope, new int[] {1, 2}, 2);
        }
        assertFalse(stale.isAlive());
        assertClosedError(stale::segment, "segment");
        assertClosedError(stale::toFloatArray, "toFloatArray");
        assertClosedError(ints::toIntArray, "toIntArray");
        assertClosedError(() -> stale.getFloat(0, 0), "getFloat");
        assertClosedError(() -> stale.setFloat(1f, 0, 0), "setFloat");
        assertClosedError(() -> ints.getInt(0), "getInt");
        assertClosedError(() -> stale.copyFrom(new float[6]), "copyFrom");
        assertClosedError(() -> stale.copyTo(ByteBuffer.allocate(24)), "copyTo");
        assertClosedError(() -> stale.copyFrom(ByteBuffer.allocate(24)), "copyFrom");
        try (Scope other = Scope.open()) {
            Tensor live = Tensor.allocate(other, DType.F32, 2, 3);
            assertClosedError(() -> live.copyFrom(stale), "copyFrom");
            assertClosedError(() -> stale.transpose(0, 1).contiguous(other), "copyFrom");
        }

        // views only rearrange the description; reading through them is refused the same way
        Tensor view = stale.transpose(0, 1).slice(0, 1, 3);
        assertFalse(view.isAlive());
        assertClosedError(view::toFloatArray, "toFloatArray");
    }

    @Test
    void aClosedScopeRefusesNewMemoryAndNewCloseActions() {
        Scope scope = Scope.open();
        scope.close();
        assertFalse(scope.isOpen());
        assertClosedError(() -> scope.allocate(16, 8), "allocate");
        assertClosedError(() -> Tensor.allocate(scope, DType.F32, 4), "allocate");
        assertClosedError(() -> scope.onClose(() -> { }), "onClose");
    }

    @Test
    void closingTwiceIsANoOp() {
        long before = MemoryStats.liveHostBytes();
        AtomicInteger actions = new AtomicInteger();
        Scope scope = Scope.open();
        Tensor.allocate(scope, DType.F32, 1000);
        scope.onClose(actions::incrementAndGet);
        assertEquals(before + 4000, MemoryStats.liveHostBytes());

        scope.close();
        scope.close();
        try (scope) {
            assertFalse(scope.isOpen()); // try-with-resources closes it a third time
        }
        assertEquals(1, actions.get(), "close actions run once");
        assertEquals(before, MemoryStats.liveHostBytes(), "bytes are freed once");
    }

    // ---- closing while another thread is inside a native call -----------------------------

    /** Signals that the upcall is running, then holds the native call until released. */
    private static volatile CountDownLatch insideNativeCall;
    private static volatile CountDownLatch releaseNativeCall;

    /** qsort's comparator: blocks (an upcall must never throw, so it swallows interrupts). */
    private static int blockingCompare(MemorySegment a, MemorySegment b) {
        insideNativeCall.countDown();
        try {
            releaseNativeCall.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /**
     * The mechanism every Gatun native call relies on, made deterministic: a downcall (libc's
     * qsort) over a scope's memory is held inside its comparator while another thread closes
     * the scope. The close must fail with a clear message and leave the scope open; the call
     * then completes on intact memory, and the scope closes afterwards.
     */
    @Test
    void aScopeCannotCloseUnderANativeCallThatUsesItsMemory() throws Exception {
        Linker linker = Linker.nativeLinker();
        MemorySegment qsortAddress = linker.defaultLookup().find("qsort").orElse(null);
        assumeTrue(qsortAddress != null, "libc's qsort is not visible to the linker here");
        MethodHandle qsort = linker.downcallHandle(qsortAddress, FunctionDescriptor.ofVoid(
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                ValueLayout.ADDRESS));
        MethodHandle compare = MethodHandles.lookup().findStatic(LifetimeTest.class,
                "blockingCompare", MethodType.methodType(int.class, MemorySegment.class,
                        MemorySegment.class));
        insideNativeCall = new CountDownLatch(1);
        releaseNativeCall = new CountDownLatch(1);

        long before = MemoryStats.liveHostBytes();
        try (Arena stubs = Arena.ofShared()) {
            MemorySegment comparator = linker.upcallStub(compare, FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS), stubs);
            Scope scope = Scope.open();
            Tensor t = Tensor.fromInts(scope, new int[] {3, 1, 2}, 3);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread caller = Thread.ofPlatform().start(() -> {
                try {
                    qsort.invokeExact(t.segment(), 3L, 4L, comparator);
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            try {
                while (!insideNativeCall.await(10, TimeUnit.MILLISECONDS)) {
                    assertNull(failure.get(), () -> "qsort failed: " + trace(failure.get()));
                    assertTrue(caller.isAlive(), "qsort returned without calling back");
                }
                IllegalStateException refused = assertThrows(IllegalStateException.class,
                        scope::close);
                assertTrue(refused.getMessage().contains("Scope.close")
                        && refused.getMessage().contains("native call")
                        && refused.getMessage().contains("stays open"), refused.getMessage());
                assertTrue(scope.isOpen());
                assertEquals(3, t.toIntArray().length, "the memory is still readable");
            } finally {
                releaseNativeCall.countDown();
                caller.join();
            }
            assertNull(failure.get(), () -> "the native call failed: "
                    + trace(failure.get()));
            scope.close();
            assertFalse(scope.isOpen());
        }
        assertEquals(before, MemoryStats.liveHostBytes());
    }

    /** What one race between a long matmul on one thread and close on another gave. */
    private record Race(long callStart, long callEnd, long closeAt, Throwable callFailure,
                        RuntimeException closeFailure) {
        /** Whether the close happened while the call was running. */
        boolean overlapped() {
            return closeAt > callStart && (callFailure != null || closeAt < callEnd);
        }
    }

    /**
     * Thread A runs {@code backend.matmul} on [n, n] tensors of {@code scope}; once it is
     * about to call, this thread waits {@code delayMillis} and closes the scope.
     */
    private static Race race(Backend backend, Scope scope, Tensor a, Tensor b, Tensor dst,
                             long delayMillis) throws InterruptedException {
        CountDownLatch calling = new CountDownLatch(1);
        long[] times = new long[2];
        AtomicReference<Throwable> callFailure = new AtomicReference<>();
        Thread caller = Thread.ofPlatform().start(() -> {
            calling.countDown();
            times[0] = System.nanoTime();
            try {
                // the backend's own layout: [batch, M, K] x [batch, K, N] -> [batch, M, N]
                backend.matmul(a.unsqueeze(0), b.unsqueeze(0), null, Activation.NONE, null,
                        dst.unsqueeze(0));
            } catch (Throwable e) {
                callFailure.set(e);
            }
            times[1] = System.nanoTime();
        });
        calling.await();
        Thread.sleep(delayMillis);
        long closeAt = System.nanoTime();
        RuntimeException closeFailure = null;
        try {
            scope.close();
        } catch (RuntimeException e) {
            closeFailure = e;
        }
        caller.join();
        return new Race(times[0], times[1], closeAt, callFailure.get(), closeFailure);
    }

    /** dst = a b checked at a few entries against a float64 dot product. */
    private static void checkProduct(Tensor a, Tensor b, Tensor dst, Random rng, String msg) {
        long n = a.dim(0);
        for (int s = 0; s < 16; s++) {
            long i = rng.nextLong(n);
            long j = rng.nextLong(n);
            double ref = 0;
            double mag = 0;
            for (long k = 0; k < n; k++) {
                double p = (double) a.getFloat(i, k) * b.getFloat(k, j);
                ref += p;
                mag += Math.abs(p);
            }
            double got = dst.getFloat(i, j);
            assertTrue(Math.abs(got - ref) <= 1e-5 * mag + 1e-6, msg + ": dst[" + i + ", "
                    + j + "] = " + got + ", float64 reference " + ref);
        }
    }

    /** Sizes tried until a matmul lasts long enough for the close to land inside it. */
    private static final int[] SIZES = {768, 1024, 1536, 2048, 3072};
    private static final long CLOSE_DELAY_MILLIS = 40;

    @Test
    void closingAScopeDuringANativeMatmulFailsAndTheMatmulCompletes() throws Exception {
        Backend nativeBackend = usable("native");
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        List<String> tooFast = new ArrayList<>();
        for (int n : SIZES) {
            long before = MemoryStats.liveHostBytes();
            Scope scope = Scope.open();
            Tensor a = Tensor.fromFloats(scope, uniform(rng, n * n), n, n);
            Tensor b = Tensor.fromFloats(scope, uniform(rng, n * n), n, n);
            Tensor dst = Tensor.allocate(scope, DType.F32, n, n);
            Race r = race(nativeBackend, scope, a, b, dst, CLOSE_DELAY_MILLIS);
            String msg = "seed " + seed + ", n " + n;
            if (r.closeFailure() == null && r.callFailure() != null) {
                // the close won the race to the call's start: the call refuses freed memory
                assertInstanceOf(IllegalStateException.class, r.callFailure(),
                        () -> msg + ": " + trace(r.callFailure()));
                assertTrue(r.callFailure().getMessage().contains("matmul")
                        && r.callFailure().getMessage().contains("freed"),
                        r.callFailure().getMessage());
                tooFast.add(n + ": closed before the call started");
                continue;
            }
            if (!r.overlapped()) {
                // the matmul ended before the close: it closed normally; try a longer one
                assertNull(r.closeFailure(), msg);
                assertNull(r.callFailure(), msg);
                tooFast.add(n + ": " + (r.callEnd() - r.callStart()) / 1_000_000 + " ms");
                continue;
            }
            assertNotNull(r.closeFailure(), msg + ": the close landed inside the native"
                    + " call and must be refused");
            assertInstanceOf(IllegalStateException.class, r.closeFailure(), msg);
            assertTrue(r.closeFailure().getMessage().contains("native call"),
                    r.closeFailure().getMessage());
            assertNull(r.callFailure(), () -> msg + ": the matmul must complete, got "
                    + trace(r.callFailure()));
            assertTrue(scope.isOpen(), msg);
            checkProduct(a, b, dst, rng, msg);
            scope.close();
            assertEquals(before, MemoryStats.liveHostBytes(), msg);
            return;
        }
        Assumptions.abort("no close landed inside a native matmul (each finished within "
                + CLOSE_DELAY_MILLIS + " ms, or had not started): " + tooFast);
    }

    @Test
    void closingAScopeDuringAJavaMatmulMakesThatMatmulFail() throws Exception {
        Backend java = new JavaBackend();
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        List<String> tooFast = new ArrayList<>();
        for (int n : SIZES) {
            long before = MemoryStats.liveHostBytes();
            Scope scope = Scope.open();
            Tensor a = Tensor.fromFloats(scope, uniform(rng, n * n), n, n);
            Tensor b = Tensor.fromFloats(scope, uniform(rng, n * n), n, n);
            Tensor dst = Tensor.allocate(scope, DType.F32, n, n);
            Race r = race(java, scope, a, b, dst, CLOSE_DELAY_MILLIS);
            String msg = "seed " + seed + ", n " + n;

            // Java holds no scope open: the close always succeeds and frees the memory
            assertNull(r.closeFailure(), msg);
            assertFalse(scope.isOpen(), msg);
            assertEquals(before, MemoryStats.liveHostBytes(), msg);
            if (!r.overlapped()) {
                assertNull(r.callFailure(), msg);
                tooFast.add(n + ": " + (r.callEnd() - r.callStart()) / 1_000_000 + " ms");
                continue;
            }
            assertInstanceOf(IllegalStateException.class, r.callFailure(),
                    () -> msg + ": " + trace(r.callFailure()));
            assertTrue(r.callFailure().getMessage().contains("java backend matmul")
                    && r.callFailure().getMessage().contains("freed"),
                    r.callFailure().getMessage());
            return;
        }
        Assumptions.abort("every matmul finished within " + CLOSE_DELAY_MILLIS
                + " ms, too fast to race a close against: " + tooFast);
    }

    private static Backend usable(String name) {
        Backends.Info info = Backends.list().stream().filter(i -> i.name().equals(name))
                .findFirst().orElse(null);
        assumeTrue(info != null && info.usable(), () -> "backend " + name + " cannot run here: "
                + (info == null ? "not on the class path" : info.reason()));
        return Backends.get(name);
    }

    private static String trace(Throwable t) {
        if (t == null) {
            return "no exception";
        }
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    private static float[] uniform(Random rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextFloat() * 2 - 1;
        }
        return v;
    }
}
