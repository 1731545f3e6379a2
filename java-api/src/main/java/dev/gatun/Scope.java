package dev.gatun;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;

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
 */
public final class Scope implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final Deque<Runnable> closeActions = new ArrayDeque<>();
    private long hostBytes;
    private boolean closed;

    private Scope() {}

    /** Opens a new scope; the caller must close it (try-with-resources). */
    public static Scope open() {
        return new Scope();
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
     * @throws IllegalStateException if the scope is closed
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public MemorySegment allocate(long bytes, long alignment) {
        if (bytes < 0) {
            throw new IllegalArgumentException("allocate: bytes must be >= 0, got " + bytes);
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("allocate: scope is closed");
            }
            MemorySegment segment = arena.allocate(bytes, alignment);
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
