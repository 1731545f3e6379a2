package dev.gatun.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatun.Activation;
import dev.gatun.backend.JavaBackend;
import dev.gatun.backend.JavaKernels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vector kernels give the same bits before and after the JIT compiles them: the first
 * calls run interpreted, later ones in C2, and the Vector API lets the two sum lanes in
 * different orders and compute exp differently. Each reducing kernel and each activation
 * runs {@value #CALLS} times on one input (enough for C2 to compile it) and every result must
 * equal the first bit for bit. Without that, one thread's warm result and another's cold
 * one differ in the last bits, and "same input, same output" fails for shared models.
 */
class VectorKernelsDeterminismTest {
    static final int CALLS = 30_000;

    @Test
    void reductionsGiveTheSameBitsColdAndCompiled() {
        JavaKernels k = vectorKernels();
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        int n = 389; // whole vectors and a tail at every width
        float[] x = new float[n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rng.nextGaussian() * 4;
            y[i] = (float) rng.nextGaussian();
        }

        float dot = k.dot(x, 0, y, 0, n);
        float sum = k.sum(x, 0, n);
        float[] exps = x.clone();
        float expSum = k.expSum(exps, 0, n, 3f);
        for (int call = 1; call < CALLS; call++) {
            String msg = "seed " + seed + ", call " + call;
            assertEquals(Float.floatToIntBits(dot), Float.floatToIntBits(k.dot(x, 0, y, 0, n)),
                    msg + ": dot");
            assertEquals(Float.floatToIntBits(sum), Float.floatToIntBits(k.sum(x, 0, n)),
                    msg + ": sum");
            float[] e = x.clone();
            assertEquals(Float.floatToIntBits(expSum),
                    Float.floatToIntBits(k.expSum(e, 0, n, 3f)), msg + ": expSum");
            assertArrayEquals(exps, e, msg + ": exp");
        }
    }

    static JavaKernels vectorKernels() {
        JavaKernels k = new JavaBackend().kernels();
        assumeTrue(k.name().equals("vector"), "the vector kernels are not in use: "
                + JavaBackend.kernelsReason());
        return k;
    }

    @Test
    void activationsGiveTheSameBitsColdAndCompiled() {
        JavaKernels k = vectorKernels();
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        float[] x = new float[389];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian() * 5;
        }
        for (Activation act : new Activation[] {Activation.GELU_ERF, Activation.GELU_TANH,
                Activation.SILU}) {
            float[] first = x.clone();
            k.activation(act, first, 0, first.length);
            for (int call = 1; call < CALLS / 3; call++) {
                float[] y = x.clone();
                k.activation(act, y, 0, y.length);
                assertArrayEquals(first, y, "seed " + seed + ", " + act + ", call " + call);
            }
        }
    }
}
