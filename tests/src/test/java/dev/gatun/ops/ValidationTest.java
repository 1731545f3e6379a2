package dev.gatun.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatun.Activation;
import dev.gatun.Backend;
import dev.gatun.DType;
import dev.gatun.Device;
import dev.gatun.Ops;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * The argument rules of {@link Ops}, one test per rule: each asserts the exception type and
 * that the message names the op and the values seen. The rules every tensor argument of
 * every op obeys (not null unless optional, its scope open, on the backend's device) are
 * checked for each argument of each op by the test factories at the end. The backend here
 * fails on any compute call, which proves that validation happens before the backend is
 * reached, and that empty results never reach it.
 */
class ValidationTest {
    private final List<String> backendCalls = new ArrayList<>();
    private Scope scope;
    private Ops ops;

    @BeforeEach
    void open() {
        scope = Scope.open();
        ops = new Ops(refusingBackend(), scope);
    }

    @AfterEach
    void close() {
        scope.close();
        assertEquals(List.of(), backendCalls, "no op may reach the backend in these tests");
    }

    /** A CPU backend whose compute methods record the call and fail. */
    private Backend refusingBackend() {
        return refusingBackend(Device.CPU);
    }

    /**
     * A backend on {@code device} whose compute methods record the call and fail. Its
     * "device" tensors are host memory labelled with the device, which Ops never reads.
     */
    private Backend refusingBackend(Device device) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "name" -> "refusing";
                    case "device" -> device;
                    case "allocate", "allocateUninitialized" -> labelled(Tensor.allocate(
                            (Scope) args[0], (DType) args[1], (long[]) args[2]), device);
                    case "toString" -> "refusing backend";
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> {
                        backendCalls.add(method.getName());
                        throw new AssertionError("backend called: " + method.getName());
                    }
                });
    }

    private Tensor f32(long... shape) {
        return Tensor.allocate(scope, DType.F32, shape);
    }

    /** {@code t}'s memory, shape and strides, labelled as living on {@code device}. */
    private static Tensor labelled(Tensor t, Device device) {
        return Tensor.wrap(t.segment(), t.dtype(), t.shape(), t.strides(), device);
    }

    private static void assertMessage(Class<? extends Throwable> type, Executable call,
                                      String... parts) {
        Throwable e = assertThrows(type, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "message should contain '" + part
                    + "': " + e.getMessage());
        }
    }

    @Test
    void nullArgumentsAreNamed() {
        assertMessage(IllegalArgumentException.class, () -> ops.matmul(null, f32(2, 2)),
                "matmul", "a must not be null");
        assertMessage(IllegalArgumentException.class,
                () -> ops.linear(f32(2, 3), f32(3, 4), null, null), "linear", "act");
        assertMessage(IllegalArgumentException.class,
                () -> ops.attention(f32(1, 1, 1, 2), null, f32(1, 1, 1, 2), 1f, false, null,
                        null), "attention", "k must not be null");
        assertMessage(IllegalArgumentException.class,
                () -> ops.rope(f32(1, 1, 1, 2), Tensor.fromInts(scope, new int[] {0}, 1),
                        10000f, null), "rope", "style");
    }

    @Test
    void closedTensorIsIllegalState() {
        Tensor stale;
        try (Scope other = Scope.open()) {
            stale = Tensor.allocate(other, DType.F32, 2, 3);
        }
        Tensor t = stale;
        assertMessage(IllegalStateException.class, () -> ops.layerNorm(t, null, null, 1e-5f),
                "layerNorm", "x", "F32[2, 3]", "closed");
        assertMessage(IllegalStateException.class, () -> ops.add(f32(2, 3), t), "add", "b",
                "closed");
    }

    @Test
    void closedOpsScopeIsIllegalState() {
        Scope other = Scope.open();
        Ops closed = new Ops(refusingBackend(), other);
        other.close();
        assertMessage(IllegalStateException.class, () -> closed.softmax(f32(2, 3)), "softmax",
                "scope", "closed");
    }

    @Test
    void wrongDTypeIsNamed() {
        Tensor ints = Tensor.fromInts(scope, new int[] {1, 2, 3, 4}, 2, 2);
        assertMessage(IllegalArgumentException.class, () -> ops.matmul(ints, ints), "matmul",
                "floating", "I32[2, 2]");
        Tensor bf = Tensor.allocate(scope, DType.BF16, 3, 4);
        assertMessage(IllegalArgumentException.class, () -> ops.matmul(f32(2, 3), bf),
                "matmul", "same dtype", "F32[2, 3]", "BF16[3, 4]");
        Tensor bfGamma = Tensor.allocate(scope, DType.BF16, 4);
        assertMessage(IllegalArgumentException.class,
                () -> ops.layerNorm(f32(2, 4), bfGamma, null, 1e-5f), "layerNorm", "gamma",
                "F32", "BF16[4]");
        assertMessage(IllegalArgumentException.class,
                () -> ops.softmax(f32(2, 4), 1f, Tensor.allocate(scope, DType.BF16, 4)),
                "softmax", "mask", "BF16[4]");
        assertMessage(IllegalArgumentException.class,
                () -> ops.embedding(f32(10, 4), f32(3)), "embedding", "ids", "I32", "F32[3]");
        assertMessage(IllegalArgumentException.class,
                () -> ops.rope(f32(1, 1, 3, 4), f32(3), 10000f, RopeStyle.HALF_SPLIT), "rope",
                "positions", "I32");
        assertMessage(IllegalArgumentException.class,
                () -> ops.attention(f32(1, 1, 2, 4), f32(1, 1, 2, 4), f32(1, 1, 2, 4), 1f,
                        false, null, f32(1)), "attention", "keyLengths", "I32");
        assertMessage(IllegalArgumentException.class, () -> ops.convert(f32(2), DType.I32),
                "convert", "floating", "I32");
    }

    @Test
    void wrongDeviceIsNamed() {
        // host memory labelled CUDA: the check must refuse it before reading it
        Tensor onCuda = Tensor.wrap(scope.allocate(24, 64), DType.F32, new long[] {2, 3},
                new long[] {3, 1}, Device.CUDA);
        assertMessage(IllegalArgumentException.class, () -> ops.matmul(f32(4, 2), onCuda),
                "matmul", "b is on CUDA", "refusing", "CPU");
        assertMessage(IllegalArgumentException.class, () -> ops.gelu(onCuda), "activation",
                "x is on CUDA");
    }

    @Test
    void shapeMismatchesNameTheShapes() {
        assertMessage(IllegalArgumentException.class,
                () -> ops.attention(f32(2, 8, 1, 64), f32(2, 8, 128, 64), f32(2, 8, 96, 64),
                        0.125f, false, null, null),
                "attention: k and v must have the same shape [B, Hkv, Tk, D]: "
                        + "k=[2, 8, 128, 64], v=[2, 8, 96, 64]");
        assertMessage(IllegalArgumentException.class,
                () -> ops.attention(f32(1, 6, 1, 8), f32(1, 4, 3, 8), f32(1, 4, 3, 8), 1f,
                        false, null, null), "attention", "multiple of Hkv", "H=6", "Hkv=4");
        assertMessage(IllegalArgumentException.class,
                () -> ops.attention(f32(1, 4, 2, 8), f32(1, 4, 3, 8), f32(1, 4, 3, 8), 1f,
                        false, f32(3, 3), null), "attention", "mask [3, 3]",
                "[1, 4, 2, 3]");
        assertMessage(IllegalArgumentException.class, () -> ops.matmul(f32(2, 3), f32(4, 5)),
                "matmul", "agree on K", "a=[2, 3]", "b=[4, 5]");
        assertMessage(IllegalArgumentException.class,
                () -> ops.linear(f32(2, 3), f32(3, 5), f32(4), Activation.NONE), "linear",
                "bias", "N=5", "F32[4]");
        assertMessage(IllegalArgumentException.class, () -> ops.add(f32(2, 3), f32(2)),
                "add", "suffix", "a=[2, 3]", "b=[2]");
        assertMessage(IllegalArgumentException.class,
                () -> ops.rope(f32(1, 2, 3, 5), Tensor.fromInts(scope, new int[3], 3), 1e4f,
                        RopeStyle.INTERLEAVED), "rope", "even", "D=5");
        assertMessage(IllegalArgumentException.class,
                () -> ops.rmsNorm(f32(2, 8), f32(2, 7), null, 1e-5f), "rmsNorm",
                "x=[2, 8]", "residual=[2, 7]");
    }

    @Test
    void scalarsOutsideTheirRange() {
        assertMessage(IllegalArgumentException.class,
                () -> ops.layerNorm(f32(2, 4), null, null, -1e-5f), "layerNorm", "eps",
                "-1.0E-5");
        assertMessage(IllegalArgumentException.class,
                () -> ops.softmax(f32(2, 4), Float.NaN, null), "softmax", "scale", "NaN");
        assertMessage(IllegalArgumentException.class,
                () -> ops.rope(f32(1, 1, 1, 2), Tensor.fromInts(scope, new int[1], 1), 0f,
                        RopeStyle.INTERLEAVED), "rope", "theta", "0.0");
    }

    @Test
    void unsupportedStridesAreRefused() {
        // an embedding table is never copied per call: its rows must be contiguous
        Tensor table = f32(4, 10).transpose(0, 1);
        assertMessage(IllegalArgumentException.class,
                () -> ops.embedding(table, Tensor.fromInts(scope, new int[] {1}, 1)),
                "embedding", "last stride 1", "[1, 10]");
    }

    @Test
    void idsOutOfRangeAreNamed() {
        Tensor table = f32(10, 4);
        assertMessage(IllegalArgumentException.class,
                () -> ops.embedding(table, Tensor.fromInts(scope, new int[] {3, 10, 2}, 3)),
                "embedding", "[0, V)", "V=10", "ids[1]=10");
        assertMessage(IllegalArgumentException.class,
                () -> ops.embedding(table, Tensor.fromInts(scope, new int[] {-1}, 1)),
                "embedding", "ids[0]=-1");
        assertMessage(IllegalArgumentException.class,
                () -> ops.attention(f32(2, 1, 1, 4), f32(2, 1, 5, 4), f32(2, 1, 5, 4), 1f,
                        false, null, Tensor.fromInts(scope, new int[] {5, 6}, 2)),
                "attention", "keyLengths[1]=6", "Tk=5");
    }

    @Test
    void zeroSizeDimsGiveEmptyResultsWithoutTheBackend() {
        assertArrayEquals(new long[] {0, 5}, ops.matmul(f32(0, 3), f32(3, 5)).shape());
        assertArrayEquals(new long[] {2, 0}, ops.linear(f32(2, 3), f32(3, 0), null,
                Activation.GELU_ERF).shape());
        assertArrayEquals(new long[] {3, 0}, ops.softmax(f32(3, 0)).shape());
        assertArrayEquals(new long[] {0, 8}, ops.layerNorm(f32(0, 8), null, null, 1e-5f)
                .shape());
        assertArrayEquals(new long[] {0, 4}, ops.embedding(f32(10, 4),
                Tensor.fromInts(scope, new int[0], 0)).shape());
        assertArrayEquals(new long[] {2, 0, 3}, ops.add(f32(2, 0, 3), f32(3)).shape());
        assertArrayEquals(new long[] {1, 2, 0, 4}, ops.rope(f32(1, 2, 0, 4),
                Tensor.fromInts(scope, new int[0], 0), 1e4f, RopeStyle.HALF_SPLIT).shape());

        // no keys at all: every row fully masked, so zeros of q's shape
        Ops.AttentionResult r = ops.attentionWithWeights(f32(1, 2, 3, 4), f32(1, 1, 0, 4),
                f32(1, 1, 0, 4), 0.5f, true, null, null);
        assertArrayEquals(new long[] {1, 2, 3, 4}, r.output().shape());
        assertArrayEquals(new float[24], r.output().toFloatArray());
        assertArrayEquals(new long[] {1, 2, 3, 0}, r.weights().shape());
    }

    // ---- every tensor argument of every op, for the rules that apply to all of them ------

    /** One tensor argument: a valid dtype and shape; optional ones may be null. */
    private record Arg(String name, DType dtype, long[] shape, boolean optional) {}

    /** An op, the name its messages use, its tensor arguments and how to call it. */
    private record OpCase(String op, List<Arg> args, Function<Tensor[], Object> call) {}

    private static Arg arg(String name, DType dtype, long... shape) {
        return new Arg(name, dtype, shape, false);
    }

    private static Arg optional(String name, DType dtype, long... shape) {
        return new Arg(name, dtype, shape, true);
    }

    private List<OpCase> everyOp() {
        DType f = DType.F32;
        DType i = DType.I32;
        List<Arg> qkv = List.of(arg("q", f, 1, 2, 3, 4), arg("k", f, 1, 1, 5, 4),
                arg("v", f, 1, 1, 5, 4), optional("mask", f, 3, 5),
                optional("keyLengths", i, 1));
        return List.of(
                new OpCase("matmul", List.of(arg("a", f, 2, 3), arg("b", f, 3, 4)),
                        t -> ops.matmul(t[0], t[1])),
                new OpCase("linear", List.of(arg("x", f, 2, 3), arg("w", f, 3, 4),
                        optional("bias", f, 4), optional("residual", f, 2, 4)),
                        t -> ops.linear(t[0], t[1], t[2], Activation.GELU_ERF, t[3])),
                new OpCase("add", List.of(arg("a", f, 2, 3), arg("b", f, 3)),
                        t -> ops.add(t[0], t[1])),
                new OpCase("mul", List.of(arg("a", f, 2, 3), arg("b", f, 3)),
                        t -> ops.mul(t[0], t[1])),
                new OpCase("activation", List.of(arg("x", f, 2, 3)), t -> ops.silu(t[0])),
                new OpCase("layerNorm", List.of(arg("x", f, 2, 4),
                        optional("residual", f, 2, 4), optional("gamma", f, 4),
                        optional("beta", f, 4)),
                        t -> ops.layerNorm(t[0], t[1], t[2], t[3], 1e-5f)),
                new OpCase("rmsNorm", List.of(arg("x", f, 2, 4), optional("residual", f, 2, 4),
                        optional("gamma", f, 4)), t -> ops.rmsNorm(t[0], t[1], t[2], 1e-5f)),
                new OpCase("softmax", List.of(arg("x", f, 2, 4), optional("mask", f, 4)),
                        t -> ops.softmax(t[0], 0.5f, t[1])),
                new OpCase("attention", qkv,
                        t -> ops.attention(t[0], t[1], t[2], 0.5f, true, t[3], t[4])),
                new OpCase("attentionWithWeights", qkv,
                        t -> ops.attentionWithWeights(t[0], t[1], t[2], 0.5f, false, t[3],
                                t[4])),
                new OpCase("rope", List.of(arg("x", f, 1, 2, 3, 4), arg("positions", i, 3)),
                        t -> ops.rope(t[0], t[1], 1e4f, RopeStyle.HALF_SPLIT)),
                new OpCase("embedding", List.of(arg("table", f, 10, 4), arg("ids", i, 3)),
                        t -> ops.embedding(t[0], t[1])),
                new OpCase("convert", List.of(arg("x", f, 2, 3)),
                        t -> ops.convert(t[0], DType.BF16)),
                new OpCase("copy", List.of(arg("x", f, 2, 3)), t -> ops.copy(t[0])));
    }

    /** Valid arguments of {@code c} (zeros, so ids and lengths are in range). */
    private Tensor[] valid(OpCase c, Scope owner) {
        return c.args().stream().map(a -> Tensor.allocate(owner, a.dtype(), a.shape()))
                .toArray(Tensor[]::new);
    }

    /** The op with argument {@code index} replaced by {@code replacement}. */
    private Executable callWith(OpCase c, int index, Tensor replacement) {
        Tensor[] args = valid(c, scope);
        args[index] = replacement;
        return () -> c.call().apply(args);
    }

    private Stream<DynamicTest> perArgument(String rule, RuleCheck check) {
        List<DynamicTest> tests = new ArrayList<>();
        for (OpCase c : everyOp()) {
            for (int i = 0; i < c.args().size(); i++) {
                Arg a = c.args().get(i);
                int index = i;
                tests.add(DynamicTest.dynamicTest(c.op() + "(" + a.name() + "): " + rule,
                        () -> check.run(c, index, a)));
            }
        }
        return tests.stream();
    }

    /** One rule applied to one argument of one op. */
    private interface RuleCheck {
        void run(OpCase c, int index, Arg a) throws Throwable;
    }

    @TestFactory
    Stream<DynamicTest> everyRequiredTensorArgumentIsCheckedForNull() {
        return perArgument("null", (c, index, a) -> {
            if (a.optional()) {
                return; // null means absent: covered by the op tests
            }
            assertMessage(IllegalArgumentException.class, callWith(c, index, null),
                    c.op() + ": " + a.name() + " must not be null");
        });
    }

    @TestFactory
    Stream<DynamicTest> everyTensorArgumentIsCheckedForAClosedScope() {
        return perArgument("closed scope", (c, index, a) -> {
            Tensor stale;
            try (Scope closed = Scope.open()) {
                stale = Tensor.allocate(closed, a.dtype(), a.shape());
            }
            String described = a.dtype() + Arrays.toString(a.shape());
            assertMessage(IllegalStateException.class, callWith(c, index, stale),
                    c.op() + ": " + a.name(), described, "closed");
        });
    }

    @TestFactory
    Stream<DynamicTest> everyTensorArgumentIsCheckedForItsDevice() {
        return perArgument("wrong device", (c, index, a) -> {
            Tensor elsewhere = labelled(Tensor.allocate(scope, a.dtype(), a.shape()),
                    Device.CUDA);
            assertMessage(IllegalArgumentException.class, callWith(c, index, elsewhere),
                    c.op() + ": " + a.name() + " is on CUDA", "'refusing'", "CPU");
        });
    }
}
