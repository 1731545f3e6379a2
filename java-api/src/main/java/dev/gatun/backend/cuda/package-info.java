/**
 * The CUDA backend: device tensors ({@link dev.gatun.backend.cuda.Cuda}), streams
 * ({@link dev.gatun.backend.cuda.CudaStream}) and the {@link dev.gatun.Backend} over
 * {@code libgatun_cuda.so} ({@link dev.gatun.backend.cuda.CudaBackend}), registered as
 * "cuda".
 *
 * <pre>{@code
 * Backend gpu = Backends.get("cuda");   // IllegalStateException with the reason where it
 *                                       // cannot run: no libcudart, no device, no library
 * try (Scope weights = Scope.open(); Scope scope = Scope.open()) {
 *     Map<String, Tensor> onGpu = Tensors.toDevice(new Ops(gpu, weights), hostWeights);
 *     LlamaModel model = LlamaModel.fromWeights(onGpu, config, RopeStyle.INTERLEAVED);
 *     int[] story = model.generate(gpu, new int[] {1}, 100, Sampler.greedy(), 1, t -> true);
 * }
 * }</pre>
 *
 * <p>Limitation: no GPU has run this code yet; it has been compiled and tested for its
 * behaviour on machines without a CUDA device only. The GPU tests
 * ({@code dev.gatun.backend.cuda} in the tests module) compare every op and both models with
 * the CPU backends and float64 references, and skip, saying why, where there is no device.
 */
package dev.gatun.backend.cuda;
