package dev.gatun.nn;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatun.Ops;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

class EncoderLayerTest {
    static Stream<Arguments> backendsAndNorm() {
        List<Arguments> out = new ArrayList<>();
        for (String b : Support.backends()) {
            out.add(Arguments.of(b, false));
            out.add(Arguments.of(b, true));
        }
        return out.stream();
    }

    static List<String> backends() {
        return Support.backends();
    }

    @ParameterizedTest
    @MethodSource("backendsAndNorm")
    void matchesReferenceWithPadding(String backend, boolean preNorm) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            int b = 3;
            int t = 9;
            Support.EncLayer layer = s.encoderLayer(24, 4, 56, preNorm);
            Support.Param x = s.input(b, t, 24);
            int[] lengths = {9, 5, 1};
            AttentionMask mask = AttentionMask.keyLengths(Tensors.ints(ops, lengths, b));

            MultiHeadAttention.Output out = layer.module().forward(ops, x.tensor(), mask, true);
            Ref.Attention ref = layer.apply(x.values(), b, t, lengths);
            String what = preNorm ? "pre-norm" : "post-norm";
            s.assertClose(ref.out(), out.output(), 2e-5, "EncoderLayer " + what);
            s.assertClose(ref.weights(), out.weights(), 1e-5, "EncoderLayer weights " + what);
            s.assertClose(ref.out(), layer.module().forward(ops, x.tensor(), mask), 2e-5,
                    "EncoderLayer without weights " + what);
            assertNull(layer.module().forward(ops, x.tensor(), mask, false).weights());
            MultiHeadAttention.Output packed = layer.module().packed(ops).forward(ops,
                    x.tensor(), mask, true);
            s.assertClose(ref.out(), packed.output(), 2e-5, "packed EncoderLayer " + what);
            s.assertClose(ref.weights(), packed.weights(), 1e-5, "packed weights " + what);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void encoderStacksLayersAndFinalNorm(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            Support.EncLayer l1 = s.encoderLayer(16, 2, 24, true);
            Support.EncLayer l2 = s.encoderLayer(16, 2, 24, true);
            Support.NormParams fin = s.layerNorm(16);
            Encoder encoder = new Encoder(List.of(l1.module(), l2.module()), fin.module());
            Support.Param x = s.input(2, 6, 16);
            double[] ref = fin.apply(l2.apply(l1.apply(x.values(), 2, 6, null).out(), 2, 6,
                    null).out());
            s.assertClose(ref, encoder.forward(ops, x.tensor(), AttentionMask.NONE), 2e-5,
                    "Encoder");
            s.assertClose(ref, encoder.packed(ops).forward(ops, x.tensor(), AttentionMask.NONE),
                    2e-5, "packed Encoder");
            assertThrows(IllegalArgumentException.class, () -> new Encoder(List.of(), null));
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void rejectsMismatchedWidths(String backend) {
        try (Support s = new Support()) {
            Support.Attn attn = s.attention(16, 16, 2, 2, 8, false, null);
            Support.Ffn ffn = s.gelu(16, 20);
            assertThrows(IllegalArgumentException.class, () -> EncoderLayer.postNorm(
                    attn.module(), s.layerNorm(16).module(), ffn.module(),
                    s.layerNorm(12).module()));
        }
    }
}
