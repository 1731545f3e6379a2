package dev.gatun;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Process-wide counters of memory Gatun holds, for tests and for users who watch for leaks.
 *
 * <p>Host bytes count what {@link Scope}s allocated and have not yet freed; device bytes count
 * live CUDA allocations. Memory a caller wraps with {@link Tensor#wrap} is not counted: Gatun
 * does not own it.
 */
public final class MemoryStats {
    private static final AtomicLong HOST_BYTES = new AtomicLong();
    private static final AtomicLong DEVICE_BYTES = new AtomicLong();
    private static final AtomicLong POOLED_BYTES = new AtomicLong();

    private MemoryStats() {}

    /** Host bytes allocated by open scopes. */
    public static long liveHostBytes() {
        return HOST_BYTES.get();
    }

    /**
     * Host bytes that open {@link MemoryPool}s keep idle for later scopes (not counted in
     * {@link #liveHostBytes()}; freed when their pools close).
     */
    public static long pooledHostBytes() {
        return POOLED_BYTES.get();
    }

    /** Device bytes allocated by open scopes. */
    public static long liveDeviceBytes() {
        return DEVICE_BYTES.get();
    }

    static void hostAllocated(long bytes) {
        HOST_BYTES.addAndGet(bytes);
    }

    static void hostFreed(long bytes) {
        HOST_BYTES.addAndGet(-bytes);
    }

    static void hostPoolDelta(long bytes) {
        POOLED_BYTES.addAndGet(bytes);
    }

    /** Called by device allocators when they allocate ({@code bytes > 0}) or free. */
    public static void deviceDelta(long bytes) {
        DEVICE_BYTES.addAndGet(bytes);
    }
}
