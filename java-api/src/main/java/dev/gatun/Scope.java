package dev.gatun;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;

/**
 * Owns off-heap (and device) memory: everything allocated in a scope is freed when it closes.
 *
 * <pre>{@code
 * try (Scope scope = Scope.open()) {
 *     Tensor x = Tensor.allocate(scope, DType.F32, 2, 3);
 *     ...
 * } // x's memory is released here; using x afterwards throws IllegalStateException
 * }</pre>
 *
 * <p>A scope is backed by a shared {@link Arena}: tensors from it may be used by any thread.
 * Closing it while another thread is inside a native call on one of its tensors fails with
 * {@link IllegalStateException} instead of freeing memory under that call. Closing twice is a
 * no-op.
 *
 * <p>A scope opened on a {@link MemoryPool} takes its host memory from the pool and gives it
 * back when it closes, so that a loop of same-shaped calls reuses the same memory; tensors
 * of the closed scope still fail on access, as with any scope.
 */
public final class Scope implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final Deque<Runnable> closeActions = new ArrayDeque<>();
    private final MemoryPool pool;
    private final List<MemoryPool.Block> blocks;
    private long hostBytes;
    private boolean closed;

    private Scope(MemoryPool pool) {
        this.pool = pool;
        this.blocks = pool == null ? null : new ArrayList<>();
    }

    /** Opens a new scope; the caller must close it (try-with-resources). */
    public static Scope open() {
        return new Scope(null);
    }

    /**
     * Opens a new scope whose host memory comes from {@code pool} and goes back to it on
     * close; the caller must close it (try-with-resources).
     *
     * @throws IllegalStateException if the pool is closed
     */
    public static Scope open(MemoryPool pool) {
        Objects.requireNonNull(pool, "pool");
        if (!pool.isOpen()) {
            throw new IllegalStateException("Scope.open: the memory pool is closed");
        }
        return new Scope(pool);
    }

    /** The arena backing this scope, for wrapping memory with the same lifetime. */
    public Arena arena() {
        return arena;
    }

    /** Whether {@link #close()} has not yet run. */
    public synchronized boolean isOpen() {
        return !closed;
    }

    /**
     * Allocates zeroed host memory owned by this scope.
     *
     * @throws IllegalStateException if the scope is closed, or it is pooled and its pool is
     *     closed
     * @throws IllegalArgumentException if {@code bytes} is negative, or {@code alignment} is
     *     not a power of two or exceeds 64 for a pooled scope
     */
    public MemorySegment allocate(long bytes, long alignment) {
        return allocate("allocate", bytes, alignment, true);
    }

    /**
     * Allocates host memory owned by this scope whose contents are unspecified: for results
     * that are written in full before anything reads them. From a pool this skips the fill;
     * otherwise it is the same as {@link #allocate}.
     *
     * @throws IllegalStateException if the scope is closed, or it is pooled and its pool is
     *     closed
     * @throws IllegalArgumentException if {@code bytes} is negative, or {@code alignment} is
     *     not a power of two or exceeds 64 for a pooled scope
     */
    public MemorySegment allocateUninitialized(long bytes, long alignment) {
        return allocate("allocateUninitialized", bytes, alignment, false);
    }

    private MemorySegment allocate(String op, long bytes, long alignment, boolean zero) {
        if (bytes < 0) {
            throw new IllegalArgumentException(op + ": bytes must be >= 0, got " + bytes);
        }
        if (pool != null && (alignment <= 0 || alignment > 64 || Long.bitCount(alignment) != 1)) {
            throw new IllegalArgumentException(op + ": a pooled scope aligns to a power of two"
                    + " up to 64, got " + alignment);
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException(op + ": scope is closed");
            }
            MemorySegment segment;
            if (pool == null || bytes == 0) {
                segment = arena.allocate(bytes, alignment);
            } else {
                MemoryPool.Block block;
                try {
                    block = pool.take(bytes);
                } catch (IllegalStateException e) {
                    throw new IllegalStateException(op + ": the memory pool of this scope is "
                            + "closed", e);
                }
                blocks.add(block);
                segment = MemorySegment.ofAddress(block.address()).reinterpret(bytes, arena,
                        null);
                if (zero) {
                    segment.fill((byte) 0);
                }
            }
            hostBytes += bytes;
            MemoryStats.hostAllocated(bytes);
            return segment;
        }
    }

    /**
     * Registers an action run when this scope closes, in reverse order of registration
     * (device memory uses this to call cudaFree).
     *
     * @throws IllegalStateException if the scope is closed
     */
    public synchronized void onClose(Runnable action) {
        if (closed) {
            throw new IllegalStateException("onClose: scope is closed");
        }
        closeActions.push(action);
    }

    /**
     * Frees everything this scope owns. A second call does nothing (double close is a no-op,
     * so a scope may be closed both by its owner and by a try-with-resources block).
     *
     * <p>Tensors of a closed scope throw {@link IllegalStateException} on every access. A
     * thread computing on them in Java (the Java backend) fails with that exception; a thread
     * inside a native call on them keeps the memory alive until the call returns, and this
     * method refuses instead.
     *
     * @throws IllegalStateException if another thread is inside a native call that uses this
     *     scope's memory; the scope then stays open and may be closed again later
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            try {
                arena.close();
            } catch (IllegalStateException e) {
                // the arena refuses while a native call holds one of its segments
                throw new IllegalStateException("Scope.close: another thread is inside a"
                        + " native call that uses this scope's memory (" + e.getMessage()
                        + "); the scope stays open: close it again once that call has"
                        + " returned", e);
            }
            closed = true;
            MemoryStats.hostFreed(hostBytes);
            hostBytes = 0;
            if (pool != null) {
                // the arena is closed: no segment over these blocks can be used any more
                for (MemoryPool.Block block : blocks) {
                    pool.give(block);
                }
                blocks.clear();
            }
        }
        RuntimeException failure = null;
        Runnable action;
        while ((action = pollCloseAction()) != null) {
            try {
                action.run();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private synchronized Runnable pollCloseAction() {
        return closeActions.poll();
    }
}
