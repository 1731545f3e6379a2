package dev.gatun;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * Keeps host memory of closed scopes for the next scope that asks for the same sizes.
 *
 * <pre>{@code
 * try (MemoryPool pool = MemoryPool.create(256L << 20)) {
 *     for (...) {
 *         try (Scope scope = Scope.open(pool)) {    // blocks come from the pool ...
 *             Tensor y = model.forward(new Ops(backend, scope), x);
 *         }                                          // ... and go back to it here
 *     }
 * }                                                  // cached blocks are freed here
 * }</pre>
 *
 * <p>Why: a forward pass allocates one result per op and frees them all when its scope
 * closes. Fresh memory for each call costs the zero-fill that {@link java.lang.foreign.Arena}
 * does and, for blocks past the C allocator's mmap threshold, a page fault per 4 KiB page;
 * for a batch-32 MiniLM forward on a 2-core machine that was about a seventh of its time.
 * Repeated calls of the same shapes get the same blocks back instead, untouched.
 *
 * <p>Blocks come from the C library's {@code aligned_alloc} ({@code posix_memalign} where it
 * has none), 64-byte aligned, and are returned with {@code free}; the allocator is looked up
 * when the first block is needed. A request takes the smallest cached block that holds it
 * unless that block is more than twice its size; otherwise a new block is allocated. A block coming
 * back from a scope is freed at once, instead of cached, when caching it would take the pool
 * past {@code maxCachedBytes}. {@link MemoryStats#pooledHostBytes()} counts what pools hold.
 *
 * <p>Thread safety: any number of scopes on any threads may share one pool. Closing the pool
 * frees its cached blocks; blocks lent to scopes still open are freed when those scopes close,
 * so the pool may be closed before them. Scopes cannot be opened on a closed pool.
 */
public final class MemoryPool implements AutoCloseable {
    private static final long ALIGNMENT = 64;

    private final long maxCachedBytes;
    private final TreeMap<Long, ArrayDeque<Long>> free = new TreeMap<>(); // size -> addresses
    private long cachedBytes;
    private long hits;
    private long misses;
    private boolean closed;

    private MemoryPool(long maxCachedBytes) {
        this.maxCachedBytes = maxCachedBytes;
    }

    /**
     * A pool that keeps at most {@code maxCachedBytes} of idle blocks.
     *
     * @throws IllegalArgumentException if {@code maxCachedBytes} is negative
     */
    public static MemoryPool create(long maxCachedBytes) {
        if (maxCachedBytes < 0) {
            throw new IllegalArgumentException("MemoryPool: maxCachedBytes must be >= 0, got "
                    + maxCachedBytes);
        }
        return new MemoryPool(maxCachedBytes);
    }

    /**
     * Whether this platform's C library has what pools allocate with ({@code aligned_alloc}
     * or {@code posix_memalign}, and {@code free}): Linux and macOS do. Where it is false,
     * the first block a pooled scope asks for throws {@link UnsupportedOperationException}.
     */
    public static boolean supported() {
        try {
            return Native.FREE != null;
        } catch (ExceptionInInitializerError | NoClassDefFoundError e) {
            return false; // Native's lookup failed (the first time, then the class is unusable)
        }
    }

    /** Bytes of idle blocks held now. */
    public synchronized long cachedBytes() {
        return cachedBytes;
    }

    /** Requests served from cached blocks so far. */
    public synchronized long hits() {
        return hits;
    }

    /** Requests that needed a new block so far. */
    public synchronized long misses() {
        return misses;
    }

    /** Whether {@link #close()} has not yet run. */
    public synchronized boolean isOpen() {
        return !closed;
    }

    /**
     * Frees every cached block. Blocks lent to open scopes are freed when they come back.
     * A second call does nothing.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Map.Entry<Long, ArrayDeque<Long>> e : free.entrySet()) {
            for (long address : e.getValue()) {
                release(address);
            }
        }
        MemoryStats.hostPoolDelta(-cachedBytes);
        free.clear();
        cachedBytes = 0;
    }

    /** A block of host memory lent to a scope: its address and its actual size. */
    record Block(long address, long size) {}

    /** The block size that serves a request of {@code bytes} (> 0): whole pages past 4 KiB. */
    static long blockSize(long bytes) {
        long unit = bytes >= 4096 ? 4096 : ALIGNMENT;
        return Math.addExact(bytes, unit - 1) / unit * unit;
    }

    /**
     * A block of at least {@code bytes} (> 0) bytes, cached or new; its contents are whatever
     * its last user left.
     *
     * @throws IllegalStateException if the pool is closed
     * @throws OutOfMemoryError if the C allocator has no memory
     */
    Block take(long bytes) {
        long size = blockSize(bytes);
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("MemoryPool: the pool is closed");
            }
            Map.Entry<Long, ArrayDeque<Long>> fit = free.ceilingEntry(size);
            if (fit != null && fit.getKey() / 2 <= size) {
                long address = fit.getValue().pop();
                if (fit.getValue().isEmpty()) {
                    free.remove(fit.getKey());
                }
                cachedBytes -= fit.getKey();
                MemoryStats.hostPoolDelta(-fit.getKey());
                hits++;
                return new Block(address, fit.getKey());
            }
            misses++;
        }
        // outside the lock: other threads' scopes need not wait for the C allocator
        return new Block(Native.allocate(size), size);
    }

    /**
     * Takes back a block from {@link #take}: cached, or freed when the pool is closed or
     * caching it would take the pool past its limit.
     */
    void give(Block block) {
        synchronized (this) {
            if (!closed && cachedBytes + block.size() <= maxCachedBytes) {
                free.computeIfAbsent(block.size(), s -> new ArrayDeque<>()).push(
                        block.address());
                cachedBytes += block.size();
                MemoryStats.hostPoolDelta(block.size());
                return;
            }
        }
        release(block.address());
    }

    private static void release(long address) {
        Native.free(address);
    }

    /**
     * The C library's {@code aligned_alloc} and {@code free}, looked up on first use; where
     * the C library has no {@code aligned_alloc}, {@code posix_memalign}.
     */
    private static final class Native {
        private static final MethodHandle ALIGNED_ALLOC;
        private static final MethodHandle POSIX_MEMALIGN;
        private static final MethodHandle FREE;

        static {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            ALIGNED_ALLOC = libc.find("aligned_alloc").map(a -> linker.downcallHandle(a,
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG))).orElse(null);
            POSIX_MEMALIGN = ALIGNED_ALLOC != null ? null : libc.find("posix_memalign")
                    .map(a -> linker.downcallHandle(a, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG)))
                    .orElse(null);
            FREE = libc.find("free").map(a -> linker.downcallHandle(a,
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS))).orElse(null);
            if ((ALIGNED_ALLOC == null && POSIX_MEMALIGN == null) || FREE == null) {
                throw new UnsupportedOperationException("MemoryPool: the C library has neither"
                        + " aligned_alloc nor posix_memalign, or no free");
            }
        }

        static long allocate(long size) {
            long address;
            try {
                if (ALIGNED_ALLOC != null) {
                    address = ((MemorySegment) ALIGNED_ALLOC.invokeExact(ALIGNMENT, size))
                            .address();
                } else {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
                        int rc = (int) POSIX_MEMALIGN.invokeExact(out, ALIGNMENT, size);
                        address = rc == 0 ? out.get(ValueLayout.ADDRESS, 0).address() : 0;
                    }
                }
            } catch (Throwable t) {
                throw new AssertionError("the C allocator cannot throw", t);
            }
            if (address == 0) {
                throw new OutOfMemoryError("MemoryPool: the C allocator could not allocate "
                        + size + " bytes");
            }
            return address;
        }

        static void free(long address) {
            try {
                FREE.invokeExact(MemorySegment.ofAddress(address));
            } catch (Throwable t) {
                throw new AssertionError("free cannot throw", t);
            }
        }
    }
}
