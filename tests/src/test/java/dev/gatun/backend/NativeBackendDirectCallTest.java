package dev.gatun.backend;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatun.Activation;
import dev.gatun.DType;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link NativeBackend}'s methods called directly, past {@link dev.gatun.Ops}, with tensors
 * that do not fit together. The C functions get pointers and sizes, so a tensor smaller than
 * the sizes taken from another would be read or written past its end; each call must be an
 * {@link IllegalArgumentException} naming the op and the rule before it reaches native code.
 * One case per rule and op; the well-formed calls are NativeBackendTest's.
 */
class NativeBackendDirectCallTest {
    private NativeBackend backend;
    private Scope scope;

    @BeforeEach
    void open() {
        backend = NativeBackendScratchTest.nativeBackend();
        scope = Scope.open();
    }

    @AfterEach
    void close() {
        scope.close();
    }

    private Tensor f32(long... shape) {
        return Tensor.allocate(scope, DType.F32, shape);
    }

    private Tensor i32(long... shape) {
        return Tensor.allocate(scope, DType.I32, shape);
    }

    private static void refused(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' expected in: "
                    + e.getMessage());
        }
    }

    @Test
    void matmulOperandsMustFitTheDestination() {
        Activation none = Activation.NONE;
        refused(() -> backend.matmul(f32(4, 3), f32(2, 5), null, none, null, f32(4, 5)),
                "native matmul", "w must be [3, 5]");
        refused(() -> backend.matmul(f32(4, 3), f32(3, 5), null, none, null, f32(4, 6)),
                "native matmul", "w must be [3, 6]");
        refused(() -> backend.matmul(f32(1, 4, 3), f32(3, 5), null, none, null,
                f32(2, 4, 5)), "a must have batch 2 or batch stride 0");
        refused(() -> backend.matmul(f32(4, 3), f32(3, 5), f32(4), none, null, f32(4, 5)),
                "bias must hold 5 elements");
        refused(() -> backend.matmul(f32(4, 3), f32(3, 5), null, none, f32(4, 4),
                f32(4, 5)), "residual must be [4, 5]");
        refused(() -> backend.matmul(f32(4, 3), Tensor.allocate(scope, DType.BF16, 3, 5),
                null, none, null, f32(4, 5)), "must be F32");
        refused(() -> backend.matmul(f32(4, 3), f32(3, 5), null, null, null, f32(4, 5)),
                "act must not be null");
    }

    @Test
    void elementwiseOpsNeedMatchingContiguousTensors() {
        refused(() -> backend.add(f32(6), f32(4), f32(6)), "native add", "divide");
        refused(() -> backend.mul(f32(6), f32(3), f32(5)), "native mul",
                "dst must hold 6 elements");
        refused(() -> backend.add(f32(3, 2).transpose(0, 1), f32(3), f32(2, 3)),
                "src must be contiguous");
        refused(() -> backend.activation(Activation.SILU, f32(8), f32(4)), "activation",
                "dst must hold 8");
        refused(() -> backend.convert(f32(8), i32(8)), "convert", "dst must be floating");
    }

    @Test
    void normsAndSoftmaxNeedRowsOfOneShape() {
        refused(() -> backend.layerNorm(f32(4, 8), f32(4, 7), null, null, 1e-5f, f32(4, 8),
                null), "native layerNorm", "must be [4, 8]");
        refused(() -> backend.layerNorm(f32(4, 8), null, f32(7), null, 1e-5f, f32(4, 8),
                null), "gamma and beta must hold 8");
        refused(() -> backend.rmsNorm(f32(2, 4, 8), null, null, 1e-5f, f32(2, 4, 8), null),
                "native rmsNorm", "2-D view");
        refused(() -> backend.softmax(f32(4, 8), 1f, f32(4, 9), f32(4, 8)), "native softmax",
                "mask must be [4, 8]");
        refused(() -> backend.softmax(f32(4, 8), 1f, null, f32(8, 4).transpose(0, 1)),
                "dst must have last stride 1");
    }

    @Test
    void attentionRopeAndEmbeddingNeedConsistentShapes() {
        refused(() -> backend.attention(f32(1, 2, 3, 4), f32(1, 1, 5, 4), f32(1, 1, 6, 4),
                0.5f, false, null, null, f32(1, 2, 3, 4), null), "native attention",
                "v must be [1, 1, 5, 4]");
        refused(() -> backend.attention(f32(1, 2, 3, 4), f32(1, 1, 5, 4), f32(1, 1, 5, 4),
                0.5f, false, null, i32(2), f32(1, 2, 3, 4), null), "keyLengths must hold 1");
        refused(() -> backend.attention(f32(1, 2, 3, 4), f32(1, 1, 5, 4), f32(1, 1, 5, 4),
                0.5f, false, null, null, f32(1, 2, 3, 4), f32(1, 2, 3, 4)),
                "weights must be [1, 2, 3, 5]");
        refused(() -> backend.rope(f32(1, 2, 3, 4), i32(2), 1e4f, RopeStyle.HALF_SPLIT,
                f32(1, 2, 3, 4)), "native rope", "positions must hold 3");
        refused(() -> backend.embedding(f32(10, 4), i32(3), f32(3, 5)), "native embedding",
                "dst must be [3, 4]");
        refused(() -> backend.embedding(f32(10, 4), f32(3), f32(3, 4)), "ids must be I32");
    }
}
