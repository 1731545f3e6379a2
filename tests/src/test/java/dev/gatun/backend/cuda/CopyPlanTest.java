package dev.gatun.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatun.DType;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The copy planner behind every CUDA copy, run in host memory (as the device would run it)
 * against {@link Tensor#copyFrom}, element by element: random shapes, permutations, slices
 * and broadcasts on the source, strided destinations, every dtype; each destination is
 * poisoned with NaN first, so an element the plan misses fails the comparison.
 */
class CopyPlanTest {

    @Test
    void randomLayoutsCopyEveryElement() {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        for (int round = 0; round < 400; round++) {
            try (Scope scope = Scope.open()) {
                DType dtype = DType.values()[rng.nextInt(DType.values().length)];
                int rank = 1 + rng.nextInt(5);
                long[] shape = new long[rank];
                for (int i = 0; i < rank; i++) {
                    shape[i] = 1 + rng.nextInt(rng.nextInt(4) == 0 ? 9 : 4);
                }
                Tensor src = randomView(scope, rng, dtype, shape, true);
                Tensor dst = randomView(scope, rng, dtype, shape, false);
                String what = "seed " + seed + ", round " + round + ": " + src + " -> " + dst;
                checkCopy(scope, src, dst, what);
            }
        }
    }

    @Test
    void attentionHeadsMergeInOneBlockPerHead() {
        try (Scope scope = Scope.open()) {
            // [B, H, T, D] viewed as [B, T, H, D], copied contiguous: B*H blocks of T rows
            Tensor o = filled(scope, DType.BF16, 2, 3, 97, 80).permute(0, 2, 1, 3);
            Tensor merged = nan(scope, DType.BF16, 2, 97, 3, 80);
            List<CopyPlan.Block> plan = checkCopy(scope, o, merged, "merge heads");
            assertEquals(6, plan.size(), "blocks: " + plan);
            assertTrue(plan.stream().allMatch(b -> b.height() == 97 && b.width() == 160),
                    "blocks: " + plan);
        }
    }

    @Test
    void contiguousCopiesAreOneBlock() {
        try (Scope scope = Scope.open()) {
            Tensor src = filled(scope, DType.F32, 4, 1, 5, 7);
            List<CopyPlan.Block> plan = checkCopy(scope, src, nan(scope, DType.F32, 4, 1, 5, 7),
                    "contiguous");
            assertEquals(List.of(new CopyPlan.Block(0, 560, 0, 560, 560, 1, false)), plan);
        }
    }

    @Test
    void aBroadcastLastDimensionIsFilledByDoubling() {
        try (Scope scope = Scope.open()) {
            // a per-query mask [B, 1, Tq, 1] expanded to [B, H, Tq, Tk] = [2, 3, 5, 257]
            Tensor mask = filled(scope, DType.F32, 2, 1, 5, 1).expand(2, 3, 5, 257);
            List<CopyPlan.Block> plan = checkCopy(scope, mask, nan(scope, DType.F32, 2, 3, 5,
                    257), "broadcast last dimension");
            long doubling = plan.stream().filter(CopyPlan.Block::fromDst).count();
            assertEquals(9, doubling, "257 columns take 9 doubling passes: " + plan);
        }
    }

    @Test
    void aDestinationThatRepeatsElementsIsRefused() {
        try (Scope scope = Scope.open()) {
            Tensor src = filled(scope, DType.F32, 3, 4);
            Tensor dst = nan(scope, DType.F32, 1, 4).expand(3, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CopyPlan.of(src, dst));
            assertTrue(e.getMessage().contains("must not repeat elements"), e.getMessage());
        }
    }

    /** Runs the plan on host memory and compares with Tensor.copyFrom; returns the plan. */
    private static List<CopyPlan.Block> checkCopy(Scope scope, Tensor src, Tensor dst,
                                                  String what) {
        Tensor expected = Tensor.allocate(scope, dst.dtype(), dst.shape());
        expected.copyFrom(src);
        List<CopyPlan.Block> plan = CopyPlan.of(src, dst);
        CopyPlan.runOnHost(plan, src.segment(), dst.segment());
        float[] want = expected.toFloatArray();
        float[] got = dst.toFloatArray();
        assertArrayEquals(want, got, what + "; plan " + plan);
        return plan;
    }

    /**
     * A view of the given shape: permuted, sliced from a larger tensor, and (sources only)
     * broadcast along some dimensions; destinations start as NaN (I32: a marker value).
     */
    private static Tensor randomView(Scope scope, Random rng, DType dtype, long[] shape,
                                     boolean source) {
        int rank = shape.length;
        int[] order = new int[rank];
        for (int i = 0; i < rank; i++) {
            order[i] = i;
        }
        for (int i = rank - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        boolean[] broadcast = new boolean[rank];
        long[] base = new long[rank]; // the stored shape, in permuted order, padded
        long[] pad = new long[rank];
        for (int i = 0; i < rank; i++) {
            int dim = order[i];
            broadcast[dim] = source && shape[dim] > 1 && rng.nextInt(4) == 0;
            pad[i] = rng.nextInt(3) == 0 ? rng.nextInt(3) : 0;
            base[i] = (broadcast[dim] ? 1 : shape[dim]) + pad[i];
        }
        Tensor stored = source ? filled(scope, dtype, base) : nan(scope, dtype, base);
        for (int i = 0; i < rank; i++) {
            int dim = order[i];
            long start = pad[i] > 0 ? rng.nextInt((int) pad[i] + 1) : 0;
            stored = stored.slice(i, start, start + (broadcast[dim] ? 1 : shape[dim]));
        }
        // stored dimension i holds logical dimension order[i]: invert the permutation
        int[] inverse = new int[rank];
        for (int i = 0; i < rank; i++) {
            inverse[order[i]] = i;
        }
        Tensor view = stored.permute(inverse);
        return Arrays.equals(view.shape(), shape) ? view : view.expand(shape);
    }

    /** Distinct values 1, 1.5, 2, ... (I32: 0, 1, 2, ...), so a misplaced one shows. */
    private static Tensor filled(Scope scope, DType dtype, long... shape) {
        int n = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
        if (dtype == DType.I32) {
            int[] ints = new int[n];
            Arrays.setAll(ints, i -> i);
            return Tensor.fromInts(scope, ints, shape);
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i * 0.5f + 1;
        }
        return Tensor.fromFloats(scope, dtype, v, shape);
    }

    private static Tensor nan(Scope scope, DType dtype, long... shape) {
        Tensor t = Tensor.allocate(scope, dtype, shape);
        float[] v = new float[Math.toIntExact(t.numel())];
        Arrays.fill(v, dtype == DType.I32 ? -777 : Float.NaN);
        t.copyFrom(v);
        return t;
    }
}
