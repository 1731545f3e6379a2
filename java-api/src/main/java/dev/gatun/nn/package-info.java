/**
 * The Transformer API: layers built from {@link dev.gatun.Ops}, so each runs on any backend.
 *
 * <p>Shape letters, as everywhere in Gatun: B batch, T sequence length (Tq for queries, Tk
 * for keys when they differ), H query heads, Hkv key/value heads, D head dim, C = H·D model
 * width, F feed-forward width, V vocabulary, L layers. Activations between layers are
 * [B, T, C]; attention works on [B, H, T, D] views of them (permuted strides, no copies).
 *
 * <p>A module holds its weights and nothing else; every {@code forward} takes the
 * {@link dev.gatun.Ops} to compute with, and the results belong to that {@code Ops}'s scope.
 * A decoding loop therefore opens one scope per step for the intermediates and keeps the
 * weights and the {@link dev.gatun.nn.KVCache} in longer-lived scopes:
 *
 * <pre>{@code
 * try (Scope session = Scope.open()) {
 *     Ops ops = new Ops(backend, session);
 *     KVCache cache = KVCache.allocate(ops, layers, 1, kvHeads, maxLength, headDim, DType.F32);
 *     for (int step = 0; step < steps; step++) {
 *         try (Scope stepScope = Scope.open()) {
 *             Ops stepOps = new Ops(backend, stepScope);
 *             Tensor y = layer.forward(stepOps, x, AttentionMask.CAUSAL, cache.layer(0), x);
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Weights follow PyTorch's layouts (a linear weight is [N, K] = [out, in]) so that
 * checkpoints load without copies. Modules are immutable and may be shared by threads; a
 * {@link dev.gatun.nn.KVCache} is not thread-safe.
 */
package dev.gatun.nn;
