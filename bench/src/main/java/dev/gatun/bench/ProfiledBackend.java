package dev.gatun.bench;

import dev.gatun.Activation;
import dev.gatun.Backend;
import dev.gatun.DType;
import dev.gatun.Device;
import dev.gatun.PackedWeight;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link Backend} that times every call it forwards to another one, per op: the profile
 * of a model forward split into kernel time (inside the backend) and everything else
 * (argument checks, tensor objects, scopes: the time outside it).
 *
 * <p>Not thread-safe: one thread profiles at a time.
 */
final class ProfiledBackend implements Backend {
    private final Backend delegate;
    private final List<PackedWeight> issued = new ArrayList<>(); // the delegate's records
    private final Map<String, long[]> totals = new TreeMap<>(); // op -> {calls, nanos}

    ProfiledBackend(Backend delegate) {
        this.delegate = delegate;
    }

    /** Calls and nanoseconds per op since the last {@link #reset()}. */
    Map<String, long[]> totals() {
        return totals;
    }

    void reset() {
        totals.clear();
    }

    private void count(String op, long start) {
        long[] t = totals.computeIfAbsent(op, k -> new long[2]);
        t[0]++;
        t[1] += System.nanoTime() - start;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public Device device() {
        return delegate.device();
    }

    @Override
    public Tensor allocate(Scope scope, DType dtype, long... shape) {
        long start = System.nanoTime();
        Tensor t = delegate.allocate(scope, dtype, shape);
        count("(allocate)", start);
        return t;
    }

    @Override
    public Tensor allocateUninitialized(Scope scope, DType dtype, long... shape) {
        long start = System.nanoTime();
        Tensor t = delegate.allocateUninitialized(scope, dtype, shape);
        count("(allocate)", start);
        return t;
    }

    /** The delegate's packed weight, relabelled as this backend's so that Ops accepts it. */
    @Override
    public PackedWeight packWeight(Scope scope, Tensor w) {
        long start = System.nanoTime();
        PackedWeight p = delegate.packWeight(scope, w);
        count("packWeight", start);
        if (p == null) {
            return null;
        }
        issued.add(p); // the delegate knows its weights by these records: keep them alive
        return new PackedWeight(this, p.dtype(), p.k(), p.n(), p.memory());
    }

    @Override
    public void matmulPacked(Tensor a, PackedWeight w, Tensor bias, Activation act,
                             Tensor residual, Tensor dst) {
        long start = System.nanoTime();
        delegate.matmulPacked(a, new PackedWeight(delegate, w.dtype(), w.k(), w.n(),
                w.memory()), bias, act, residual, dst);
        count("matmul", start);
    }

    @Override
    public void matmul(Tensor a, Tensor w, Tensor bias, Activation act, Tensor residual,
                       Tensor dst) {
        long start = System.nanoTime();
        delegate.matmul(a, w, bias, act, residual, dst);
        count("matmul", start);
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor dst) {
        long start = System.nanoTime();
        delegate.add(a, b, dst);
        count("add", start);
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor dst) {
        long start = System.nanoTime();
        delegate.mul(a, b, dst);
        count("mul", start);
    }

    @Override
    public void activation(Activation act, Tensor src, Tensor dst) {
        long start = System.nanoTime();
        delegate.activation(act, src, dst);
        count("activation", start);
    }

    @Override
    public void layerNorm(Tensor src, Tensor residual, Tensor gamma, Tensor beta, float eps,
                          Tensor dst, Tensor sumDst) {
        long start = System.nanoTime();
        delegate.layerNorm(src, residual, gamma, beta, eps, dst, sumDst);
        count("layerNorm", start);
    }

    @Override
    public void rmsNorm(Tensor src, Tensor residual, Tensor gamma, float eps, Tensor dst,
                        Tensor sumDst) {
        long start = System.nanoTime();
        delegate.rmsNorm(src, residual, gamma, eps, dst, sumDst);
        count("rmsNorm", start);
    }

    @Override
    public void softmax(Tensor src, float scale, Tensor mask, Tensor dst) {
        long start = System.nanoTime();
        delegate.softmax(src, scale, mask, dst);
        count("softmax", start);
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, float scale, boolean causal,
                          Tensor mask, Tensor keyLengths, Tensor dst, Tensor weights) {
        long start = System.nanoTime();
        delegate.attention(q, k, v, scale, causal, mask, keyLengths, dst, weights);
        count("attention", start);
    }

    @Override
    public void raggedAttention(Tensor q, Tensor k, Tensor v, float scale, boolean causal,
                                int[] lengths, Tensor dst) {
        long start = System.nanoTime();
        delegate.raggedAttention(q, k, v, scale, causal, lengths, dst);
        count("raggedAttention", start);
    }

    @Override
    public void rope(Tensor src, Tensor positions, float theta, RopeStyle style, Tensor dst) {
        long start = System.nanoTime();
        delegate.rope(src, positions, theta, style, dst);
        count("rope", start);
    }

    @Override
    public void embedding(Tensor table, Tensor ids, Tensor dst) {
        long start = System.nanoTime();
        delegate.embedding(table, ids, dst);
        count("embedding", start);
    }

    @Override
    public void convert(Tensor src, Tensor dst) {
        long start = System.nanoTime();
        delegate.convert(src, dst);
        count("convert", start);
    }
}
