package dev.gatun.backend.cuda;

import dev.gatun.Device;
import dev.gatun.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * A CUDA stream: an ordered queue of copies and kernels on the device, for running a
 * {@link CudaBackend} apart from the legacy default stream and for timing work on it.
 *
 * <pre>{@code
 * try (CudaStream stream = CudaStream.create(); Scope scope = Scope.open()) {
 *     Ops ops = new Ops(new CudaBackend(stream), scope);
 *     stream.copyAsync(hostX, x);                  // queued; the host side is read now
 *     float ms = stream.timeMillis(() -> ops.matmul(x, w));
 *     stream.synchronize();
 * }
 * }</pre>
 *
 * <p>The stream is created with {@code cudaStreamCreate}, so it also waits for, and is
 * waited for by, the legacy default stream. Only device-to-device copies and kernels run on
 * after the call that queued them returns: a copy from or to host memory waits for the
 * stream, because Gatun's host tensors are pageable memory, which CUDA copies through a
 * staging buffer, and the host side must stay valid until it is done.
 *
 * <p>Closing waits for the work queued so far, then destroys the stream; a backend built on
 * it must not be used afterwards. Thread-safe: any thread may queue work.
 */
public final class CudaStream implements AutoCloseable {
    private final MemorySegment handle;
    private boolean closed;

    private CudaStream(MemorySegment handle) {
        this.handle = handle;
    }

    /**
     * Creates a stream on device 0.
     *
     * @throws IllegalStateException if CUDA is not available, with the reason
     */
    public static CudaStream create() {
        Cuda.requireAvailable("CudaStream.create");
        return new CudaStream(CudaRuntime.streamCreate());
    }

    /**
     * The {@code cudaStream_t}, for passing to other CUDA code.
     *
     * @throws IllegalStateException if the stream is closed
     */
    public synchronized MemorySegment handle() {
        if (closed) {
            throw new IllegalStateException("CudaStream: the stream is closed");
        }
        return handle;
    }

    /**
     * Queues a copy of every element of {@code src} into {@code dst} (same shape and dtype,
     * any strides, each in host or device memory); one from or to host memory has finished
     * when this returns (see the class notes).
     *
     * @throws IllegalArgumentException if the shapes or dtypes differ, or dst repeats an
     *     element
     * @throws IllegalStateException if this stream or a tensor's scope is closed
     */
    public void copyAsync(Tensor src, Tensor dst) {
        MemorySegment stream = handle();
        if (src.device() == Device.CPU && dst.device() == Device.CPU) {
            dst.copyFrom(src);
            return;
        }
        Cuda.copy(src, dst, stream);
    }

    /**
     * Waits until the work queued on this stream has finished; a kernel's failure surfaces
     * here as a {@link dev.gatun.GatunException}.
     */
    public void synchronize() {
        CudaRuntime.streamSynchronize(handle());
    }

    /**
     * Runs {@code work}, which should queue its kernels on this stream (through a
     * {@link CudaBackend} built on it), and returns the device time between its start and its
     * end in milliseconds, waiting for the end. Host time spent in {@code work} before it
     * queues anything is not counted.
     */
    public float timeMillis(Runnable work) {
        MemorySegment stream = handle();
        MemorySegment start = CudaRuntime.eventCreate();
        MemorySegment end = MemorySegment.NULL;
        try {
            end = CudaRuntime.eventCreate();
            CudaRuntime.eventRecord(start, stream);
            work.run();
            CudaRuntime.eventRecord(end, stream);
            CudaRuntime.eventSynchronize(end);
            return CudaRuntime.elapsedMillis(start, end);
        } finally {
            CudaRuntime.eventDestroy(start);
            if (!end.equals(MemorySegment.NULL)) {
                CudaRuntime.eventDestroy(end);
            }
        }
    }

    /** Waits for the queued work, then destroys the stream. A second call does nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            CudaRuntime.streamSynchronize(handle);
        } finally {
            CudaRuntime.streamDestroy(handle);
        }
    }
}
