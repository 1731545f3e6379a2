package dev.gatun.io;

import com.google.protobuf.ByteString;
import dev.gatun.io.onnx.OnnxProtos.AttributeProto;
import dev.gatun.io.onnx.OnnxProtos.GraphProto;
import dev.gatun.io.onnx.OnnxProtos.ModelProto;
import dev.gatun.io.onnx.OnnxProtos.NodeProto;
import dev.gatun.io.onnx.OnnxProtos.OperatorSetIdProto;
import dev.gatun.io.onnx.OnnxProtos.TensorProto;
import dev.gatun.io.onnx.OnnxProtos.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Builds a small BERT graph shaped like torch.onnx's export of all-MiniLM-L6-v2: named
 * embeddings, norms and biases; linear weights as anonymous [in, out] initializers read by
 * MatMul nodes whose output feeds an Add of the bias; a decomposed LayerNorm whose epsilon is
 * a Constant added before Sqrt; the query reshaped by a Concat holding H; an Erf for GELU.
 *
 * <p>Knobs let a test break one rule at a time.
 */
final class TinyOnnxBert {
    int c = 8;
    int heads = 2;
    int f = 12;
    int layers = 2;
    int vocab = 11;
    int positions = 5;
    int types = 2;
    float eps = 1e-7f;

    /** Initializers to leave out (the nodes still name them). */
    final Set<String> omit = new HashSet<>();
    /** Give MatMul nodes meaningless names, so only the bias Add identifies the module. */
    boolean anonymousNodes;
    /** Leave out the bias Adds, so only the node name identifies the module. */
    boolean noBiasAdds;
    /** Store intermediate.dense as a Gemm with transB = 1 (an [out, in] matrix). */
    boolean gemmIntermediate;
    /** Store floats in float_data instead of raw_data. */
    boolean floatData;
    /** Leave out the Reshape that tells H. */
    boolean noHeadsReshape;

    /** HF name -> values in HF layout ([out, in] for linear weights), after {@link #build}. */
    final Map<String, float[]> expected = new LinkedHashMap<>();

    private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("tiny");
    private final Map<String, Integer> counters = new HashMap<>();

    ModelProto build(Random rng) {
        named(rng, "embeddings.word_embeddings.weight", vocab, c);
        named(rng, "embeddings.position_embeddings.weight", positions, c);
        named(rng, "embeddings.token_type_embeddings.weight", types, c);
        named(rng, "embeddings.LayerNorm.weight", c);
        named(rng, "embeddings.LayerNorm.bias", c);
        layerNorm("/embeddings/LayerNorm", "x0");

        String x = "x0";
        for (int i = 0; i < layers; i++) {
            String p = "encoder.layer." + i + ".";
            String n = "/encoder/layer." + i + "/";
            String q = linear(rng, p + "attention.self.query", n + "attention/self/query", x, c,
                    c, false);
            linear(rng, p + "attention.self.key", n + "attention/self/key", x, c, c, false);
            linear(rng, p + "attention.self.value", n + "attention/self/value", x, c, c, false);
            if (i == 0 && !noHeadsReshape) {
                headsReshape(n + "attention/self/", q);
            }
            String a = linear(rng, p + "attention.output.dense", n + "attention/output/dense",
                    q, c, c, false);
            named(rng, p + "attention.output.LayerNorm.weight", c);
            named(rng, p + "attention.output.LayerNorm.bias", c);
            String h = linear(rng, p + "intermediate.dense", n + "intermediate/dense", a, c, f,
                    gemmIntermediate);
            graph.addNode(NodeProto.newBuilder().setOpType("Erf").setName(n + "act/Erf")
                    .addInput(h).addOutput(h + "_erf"));
            x = linear(rng, p + "output.dense", n + "output/dense", h + "_erf", f, c, false);
            named(rng, p + "output.LayerNorm.weight", c);
            named(rng, p + "output.LayerNorm.bias", c);
        }
        graph.addInput(ValueInfoProto.newBuilder().setName("input_ids"));
        graph.addOutput(ValueInfoProto.newBuilder().setName(x));
        for (TensorProto t : initializers.values()) {
            if (!omit.contains(t.getName())) {
                graph.addInitializer(t);
            }
        }
        return ModelProto.newBuilder().setIrVersion(6).setProducerName("gatun-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(11))
                .setGraph(graph).build();
    }

    /** An initializer named after the HF parameter. */
    private void named(Random rng, String name, int... shape) {
        float[] v = random(rng, shape);
        initializers.put(name, floatTensor(name, v, shape));
        expected.put(name, v);
    }

    /** MatMul (or Gemm) of {@code in} by an anonymous weight, plus the bias Add. */
    private String linear(Random rng, String module, String nodePath, String in, int inDim,
                          int outDim, boolean gemm) {
        float[] hf = random(rng, outDim, inDim); // [out, in]
        expected.put(module + ".weight", hf);
        float[] bias = random(rng, outDim);
        expected.put(module + ".bias", bias);
        initializers.put(module + ".bias", floatTensor(module + ".bias", bias, outDim));

        int id = 700 + initializers.size();
        String wName = (gemm ? "onnx::Gemm_" : "onnx::MatMul_") + id;
        String op = gemm ? "Gemm" : "MatMul";
        if (gemm) {
            initializers.put(wName, floatTensor(wName, hf, outDim, inDim));
        } else {
            float[] stored = new float[hf.length]; // [in, out]
            for (int o = 0; o < outDim; o++) {
                for (int i = 0; i < inDim; i++) {
                    stored[i * outDim + o] = hf[o * inDim + i];
                }
            }
            initializers.put(wName, floatTensor(wName, stored, inDim, outDim));
        }
        String name = anonymousNodes ? op + "_" + next(op) : nodePath + "/" + op;
        String out = nodePath + "/" + op + "_output_0";
        NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(name)
                .addInput(in).addInput(wName).addOutput(out);
        if (gemm) {
            node.addAttribute(AttributeProto.newBuilder().setName("transB").setI(1)
                    .setType(AttributeProto.AttributeType.INT));
        }
        graph.addNode(node);
        if (noBiasAdds) {
            return out;
        }
        String added = nodePath + "/Add_output_0";
        graph.addNode(NodeProto.newBuilder().setOpType("Add").setName(nodePath + "/Add")
                .addInput(module + ".bias").addInput(out).addOutput(added));
        return added;
    }

    /** ... -> ReduceMean -> Add(eps) -> Sqrt, the part of the decomposed LayerNorm read. */
    private void layerNorm(String path, String in) {
        graph.addNode(NodeProto.newBuilder().setOpType("ReduceMean").setName(path + "/RM")
                .addInput(in).addOutput(path + "/var"));
        graph.addNode(constant(path + "/Constant_1", floatTensor("", new float[] {eps})));
        graph.addNode(NodeProto.newBuilder().setOpType("Add").setName(path + "/Add")
                .addInput(path + "/var").addInput(path + "/Constant_1_output_0")
                .addOutput(path + "/Add_output_0"));
        graph.addNode(NodeProto.newBuilder().setOpType("Sqrt").setName(path + "/Sqrt")
                .addInput(path + "/Add_output_0").addOutput(path + "/Sqrt_output_0"));
    }

    /** Reshape(q, Concat(B, T, H, D)) with H and D as int64 constants. */
    private void headsReshape(String path, String q) {
        graph.addNode(constant(path + "Constant_2", int64Tensor(heads)));
        graph.addNode(constant(path + "Constant_3", int64Tensor(c / heads)));
        graph.addNode(NodeProto.newBuilder().setOpType("Concat").setName(path + "Concat")
                .addInput(path + "b").addInput(path + "t").addInput(path + "Constant_2_output_0")
                .addInput(path + "Constant_3_output_0").addOutput(path + "Concat_output_0"));
        graph.addNode(NodeProto.newBuilder().setOpType("Reshape").setName(path + "Reshape")
                .addInput(q).addInput(path + "Concat_output_0").addOutput(path + "heads"));
    }

    private static NodeProto constant(String name, TensorProto value) {
        return NodeProto.newBuilder().setOpType("Constant").setName(name)
                .addOutput(name + "_output_0")
                .addAttribute(AttributeProto.newBuilder().setName("value").setT(value)
                        .setType(AttributeProto.AttributeType.TENSOR)).build();
    }

    TensorProto floatTensor(String name, float[] v, int... shape) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name)
                .setDataType(TensorProto.DataType.FLOAT_VALUE);
        for (int d : shape) {
            t.addDims(d);
        }
        if (floatData && shape.length > 0) {
            for (float x : v) {
                t.addFloatData(x);
            }
        } else {
            ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float x : v) {
                b.putFloat(x);
            }
            t.setRawData(ByteString.copyFrom(b.array()));
        }
        return t.build();
    }

    private static TensorProto int64Tensor(long value) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        return TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(1).setRawData(ByteString.copyFrom(b.array())).build();
    }

    private int next(String op) {
        return counters.merge(op, 1, Integer::sum);
    }

    private static float[] random(Random rng, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return v;
    }
}
