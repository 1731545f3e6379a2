package dev.gatun.io;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.gatun.DType;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.io.onnx.OnnxProtos.AttributeProto;
import dev.gatun.io.onnx.OnnxProtos.GraphProto;
import dev.gatun.io.onnx.OnnxProtos.ModelProto;
import dev.gatun.io.onnx.OnnxProtos.NodeProto;
import dev.gatun.io.onnx.OnnxProtos.TensorProto;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Imports the weights of a BERT-family encoder exported to ONNX (from PyTorch through
 * {@code torch.onnx.export}) under Hugging Face names.
 *
 * <pre>{@code
 * try (Scope scope = Scope.open()) {
 *     BertWeights w = OnnxBertImporter.load(Path.of("all-minilm-l6-v2.onnx"), scope);
 *     Tensor wq = w.get("encoder.layer.0.attention.self.query.weight"); // [C, C], strided
 * }
 * }</pre>
 *
 * <p>The model is parsed with protobuf-java from a minimal copy of ONNX's schema. Exports
 * name embeddings, LayerNorm parameters and biases after the PyTorch module
 * ({@code encoder.layer.0.attention.self.query.bias}) but give linear weights anonymous names
 * ({@code onnx::MatMul_787}), already transposed to [in, out]. Each such weight is found
 * through the MatMul (or Gemm) node that reads it: the node's output feeds an Add of the
 * module's bias, which names the module; failing that, the node's name
 * ({@code /encoder/layer.0/attention/self/query/MatMul}) does. A MatMul weight is handed out
 * as a transposed, zero-copy view of its [in, out] matrix, so every linear weight reads as
 * PyTorch's [out, in].
 *
 * <p>The config is derived from the graph: V, C, P, T from the embedding tables, L from the
 * layer numbers, F from the intermediate weight, H from the constant the query projection is
 * reshaped with, the LayerNorm epsilon from the constant added before its square root (or a
 * LayerNormalization node's attribute), and the activation from an Erf (exact GELU) or Tanh
 * node. Where the graph does not show one of the last three, the values of
 * all-MiniLM-L6-v2 (H = 12 when C = 384, eps 1e-12, GELU erf) are used and the fallback is
 * logged as a warning.
 *
 * <p>Memory: each initializer's bytes are copied once, from the protobuf buffer into 64-byte
 * aligned memory owned by the caller's scope; the protobuf message aliases the input rather
 * than copying it again. Only the initializers that become weights are copied.
 *
 * <p>Limitations: initializers stored as external data, models over 2 GiB, and dtypes other
 * than FLOAT, FLOAT16, BFLOAT16 and INT32 are rejected with a {@link ModelFormatException}.
 */
public final class OnnxBertImporter {
    private static final System.Logger LOG = System.getLogger(OnnxBertImporter.class.getName());
    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");

    private OnnxBertImporter() {}

    /**
     * Reads the ONNX file {@code model}; the weights belong to {@code scope}.
     *
     * @throws ModelFormatException  if the file is not a valid ONNX model, or a weight is
     *     missing, of the wrong shape or of an unsupported dtype; the message names the file
     *     and the weight
     * @throws UncheckedIOException  if the file cannot be read
     * @throws IllegalStateException if {@code scope} is closed
     */
    public static BertWeights load(Path model, Scope scope) {
        requireOpen(scope, model.toString());
        // the file is mapped only while parsing; the protobuf message aliases the mapping
        try (Arena parsing = Arena.ofConfined();
             FileChannel channel = FileChannel.open(model, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > Integer.MAX_VALUE) {
                throw new ModelFormatException(model, "file has " + size + " bytes; ONNX models"
                        + " over 2 GiB keep their weights as external data, which Gatun does"
                        + " not read");
            }
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, parsing);
            ModelProto proto = parse(model.toString(),
                    UnsafeByteOperations.unsafeWrap(mapped.asByteBuffer()));
            return importGraph(model.toString(), proto, scope);
        } catch (IOException e) {
            throw new UncheckedIOException("OnnxBertImporter.load: cannot read " + model + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Reads an ONNX model from {@code in} (for example a class-path resource), which is read
     * to its end but not closed; {@code source} names it in messages.
     *
     * @throws ModelFormatException  as {@link #load(Path, Scope)}
     * @throws UncheckedIOException  if the stream cannot be read
     * @throws IllegalStateException if {@code scope} is closed
     */
    public static BertWeights load(InputStream in, String source, Scope scope) {
        requireOpen(scope, source);
        byte[] bytes;
        try {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("OnnxBertImporter.load: cannot read " + source + ": "
                    + e.getMessage(), e);
        }
        return importGraph(source, parse(source, UnsafeByteOperations.unsafeWrap(bytes)), scope);
    }

    /** Parses with aliasing, so bytes fields are views of {@code data}, not copies. */
    private static ModelProto parse(String source, ByteString data) {
        CodedInputStream in = data.newCodedInput();
        in.enableAliasing(true);
        in.setSizeLimit(Integer.MAX_VALUE);
        try {
            ModelProto model = ModelProto.parseFrom(in);
            if (!model.hasGraph()) {
                throw new ModelFormatException(source, "ONNX model has no graph");
            }
            return model;
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFormatException(source, null, "not a valid ONNX model: "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + source + ": " + e.getMessage(), e);
        }
    }

    // ---- graph to weights -------------------------------------------------------------------

    private static BertWeights importGraph(String source, ModelProto model, Scope scope) {
        GraphProto graph = model.getGraph();
        Map<String, TensorProto> initializers = new HashMap<>();
        for (TensorProto t : graph.getInitializerList()) {
            initializers.put(t.getName(), t);
        }
        Graph g = new Graph(graph, initializers);
        Map<String, Linear> linears = g.linearWeights();

        HfConfig config = deriveConfig(source, g, linears);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : BertWeights.expectedShapes(config).entrySet()) {
            String name = e.getKey();
            Tensor t;
            Linear linear = linears.get(name);
            if (linear != null) {
                Tensor stored = copy(source, name, linear.initializer(), scope);
                t = linear.transposed() ? stored.transpose(0, 1) : stored;
            } else if (initializers.containsKey(name)) {
                t = copy(source, name, initializers.get(name), scope);
            } else {
                throw new ModelFormatException(source, name, "missing: no initializer has this"
                        + " name and no MatMul or Gemm node maps to it");
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new ModelFormatException(source, name, "shape " + Arrays.toString(t.shape())
                        + " differs from the expected " + Arrays.toString(e.getValue())
                        + " (as [out, in] for linear weights)");
            }
            weights.put(name, t);
        }
        return new Weights(source, config, Collections.unmodifiableMap(weights));
    }

    /** Sizes from the tables, H, eps and the activation from the graph. */
    private static HfConfig deriveConfig(String source, Graph g, Map<String, Linear> linears) {
        long[] words = g.shapeOf(source, "embeddings.word_embeddings.weight");
        long[] positions = g.shapeOf(source, "embeddings.position_embeddings.weight");
        long[] types = g.shapeOf(source, "embeddings.token_type_embeddings.weight");
        int c = toInt(source, "embeddings.word_embeddings.weight", words, 1);

        int layers = 0;
        for (String name : g.namesWithLinears(linears)) {
            Matcher m = LAYER.matcher(name);
            if (m.find()) {
                layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
            }
        }
        if (layers == 0) {
            throw new ModelFormatException(source, "no encoder.layer.* weights found");
        }
        String intermediate = "encoder.layer.0.intermediate.dense.weight";
        Linear ffn = linears.get(intermediate);
        if (ffn == null) {
            throw new ModelFormatException(source, intermediate, "missing: no MatMul or Gemm"
                    + " node maps to it");
        }
        long[] ffnShape = dims(ffn.initializer());
        int f = toInt(source, intermediate, ffnShape, ffn.transposed() ? 1 : 0);

        Integer heads = g.attentionHeads(linears.get("encoder.layer.0.attention.self.query"
                + ".weight"));
        if (heads == null) {
            if (c != 384) {
                throw new ModelFormatException(source, "cannot find the number of attention"
                        + " heads in the graph, and C = " + c + " is not all-MiniLM-L6-v2's 384");
            }
            heads = 12;
            LOG.log(System.Logger.Level.WARNING, "{0}: number of heads not found in the graph;"
                    + " using all-MiniLM-L6-v2''s 12", source);
        }
        Double eps = g.layerNormEps();
        if (eps == null) {
            eps = 1e-12;
            LOG.log(System.Logger.Level.WARNING, "{0}: LayerNorm epsilon not found in the graph;"
                    + " using all-MiniLM-L6-v2''s 1e-12", source);
        }
        String act = g.activation();
        if (act == null) {
            act = "gelu";
            LOG.log(System.Logger.Level.WARNING, "{0}: no Erf or Tanh node in the graph; using"
                    + " all-MiniLM-L6-v2''s exact GELU", source);
        }
        try {
            return HfConfig.bert(c, layers, heads, f,
                    toInt(source, "embeddings.position_embeddings.weight", positions, 0),
                    toInt(source, "embeddings.word_embeddings.weight", words, 0),
                    toInt(source, "embeddings.token_type_embeddings.weight", types, 0), eps, act);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(source, null, "derived config is invalid: "
                    + e.getMessage(), e);
        }
    }

    // ---- initializer bytes ------------------------------------------------------------------

    /** Copies the bytes of {@code t} once, into 64-byte aligned memory owned by scope. */
    private static Tensor copy(String source, String name, TensorProto t, Scope scope) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            throw new ModelFormatException(source, name, "initializer '" + t.getName()
                    + "' is stored as external data, which Gatun does not read");
        }
        DType dtype = switch (t.getDataType()) {
            case TensorProto.DataType.FLOAT_VALUE -> DType.F32;
            case TensorProto.DataType.FLOAT16_VALUE -> DType.F16;
            case TensorProto.DataType.BFLOAT16_VALUE -> DType.BF16;
            case TensorProto.DataType.INT32_VALUE -> DType.I32;
            default -> throw new ModelFormatException(source, name, "initializer '"
                    + t.getName() + "' has ONNX data_type " + t.getDataType()
                    + ", Gatun reads FLOAT (1), INT32 (6), FLOAT16 (10), BFLOAT16 (16)");
        };
        long[] shape = dims(t);
        long numel;
        try {
            numel = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new ArithmeticException();
                }
                numel = Math.multiplyExact(numel, d);
            }
        } catch (ArithmeticException e) {
            throw new ModelFormatException(source, name, "initializer '" + t.getName()
                    + "' has invalid dims " + Arrays.toString(shape));
        }
        long bytes = numel * dtype.byteSize();
        MemorySegment dst = scope.allocate(bytes, 64);

        if (t.hasRawData()) {
            ByteString raw = t.getRawData();
            if (raw.size() != bytes) {
                throw new ModelFormatException(source, name, "initializer '" + t.getName()
                        + "' has " + raw.size() + " bytes of raw_data, dims "
                        + Arrays.toString(shape) + " of " + dtype + " need " + bytes);
            }
            dst.copyFrom(MemorySegment.ofBuffer(raw.asReadOnlyByteBuffer()));
        } else if (dtype == DType.F32 && t.getFloatDataCount() == numel) {
            for (int i = 0; i < numel; i++) {
                dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, t.getFloatData(i));
            }
        } else if (dtype == DType.I32 && t.getInt32DataCount() == numel) {
            for (int i = 0; i < numel; i++) {
                dst.setAtIndex(ValueLayout.JAVA_INT, i, t.getInt32Data(i));
            }
        } else if (dtype.byteSize() == 2 && t.getInt32DataCount() == numel) {
            // ONNX keeps FLOAT16 and BFLOAT16 bit patterns in the low half of int32_data
            for (int i = 0; i < numel; i++) {
                dst.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) t.getInt32Data(i));
            }
        } else {
            throw new ModelFormatException(source, name, "initializer '" + t.getName()
                    + "' of dims " + Arrays.toString(shape) + " holds neither raw_data of "
                    + bytes + " bytes nor " + numel + " typed values");
        }
        return Tensor.wrap(dst, dtype, shape);
    }

    private static long[] dims(TensorProto t) {
        long[] shape = new long[t.getDimsCount()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = t.getDims(i);
        }
        return shape;
    }

    private static int toInt(String source, String name, long[] shape, int axis) {
        if (axis >= shape.length || shape[axis] <= 0 || shape[axis] > Integer.MAX_VALUE) {
            throw new ModelFormatException(source, name, "dims " + Arrays.toString(shape)
                    + " have no positive size at axis " + axis);
        }
        return (int) shape[axis];
    }

    private static void requireOpen(Scope scope, String source) {
        if (!scope.isOpen()) {
            throw new IllegalStateException("OnnxBertImporter.load: scope is closed (" + source
                    + ")");
        }
    }

    // ---- graph queries ----------------------------------------------------------------------

    /**
     * A linear weight found through the node that reads it.
     *
     * @param transposed whether it is stored [in, out] (MatMul, Gemm without transB)
     */
    private record Linear(TensorProto initializer, boolean transposed) {}

    /** The graph indexed by producer and consumers of each value. */
    private static final class Graph {
        private final Map<String, TensorProto> initializers;
        private final List<NodeProto> nodes;
        private final Map<String, NodeProto> producer = new HashMap<>();
        private final Map<String, List<NodeProto>> consumers = new HashMap<>();

        Graph(GraphProto graph, Map<String, TensorProto> initializers) {
            this.initializers = initializers;
            this.nodes = graph.getNodeList();
            for (NodeProto n : nodes) {
                for (String out : n.getOutputList()) {
                    producer.put(out, n);
                }
                for (String in : n.getInputList()) {
                    consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                }
            }
        }

        long[] shapeOf(String source, String name) {
            TensorProto t = initializers.get(name);
            if (t == null) {
                throw new ModelFormatException(source, name, "missing: no initializer has this"
                        + " name");
            }
            return dims(t);
        }

        /** Initializer names plus the weight names mapped from MatMul/Gemm nodes. */
        Set<String> namesWithLinears(Map<String, Linear> linears) {
            Set<String> names = new HashSet<>(initializers.keySet());
            names.addAll(linears.keySet());
            return names;
        }

        /** HF weight name -> initializer, for every MatMul/Gemm whose B is an initializer. */
        Map<String, Linear> linearWeights() {
            Map<String, Linear> out = new HashMap<>();
            for (NodeProto n : nodes) {
                boolean matmul = n.getOpType().equals("MatMul");
                boolean gemm = n.getOpType().equals("Gemm");
                if ((!matmul && !gemm) || n.getInputCount() < 2) {
                    continue;
                }
                TensorProto b = initializers.get(n.getInput(1));
                if (b == null || b.getDimsCount() != 2) {
                    continue;
                }
                String module = gemm ? biasModule(n.getInputCount() > 2 ? n.getInput(2) : "")
                        : null;
                if (module == null) {
                    module = biasModuleOfConsumer(n.getOutput(0));
                }
                if (module == null) {
                    module = moduleFromNodeName(n.getName());
                }
                if (module != null) {
                    boolean transB = gemm && intAttribute(n, "transB") == 1;
                    out.put(module + ".weight", new Linear(b, !transB));
                }
            }
            return out;
        }

        /** "x.bias" -> "x" if that initializer exists. */
        private String biasModule(String input) {
            return input.endsWith(".bias") && initializers.containsKey(input)
                    ? input.substring(0, input.length() - ".bias".length()) : null;
        }

        /** The module whose bias an Add consuming {@code value} adds. */
        private String biasModuleOfConsumer(String value) {
            for (NodeProto c : consumers.getOrDefault(value, List.of())) {
                if (c.getOpType().equals("Add")) {
                    for (String in : c.getInputList()) {
                        String module = biasModule(in);
                        if (module != null) {
                            return module;
                        }
                    }
                }
            }
            return null;
        }

        /** "/encoder/layer.0/attention/self/query/MatMul" -> "encoder.layer.0...query". */
        private static String moduleFromNodeName(String nodeName) {
            int last = nodeName.lastIndexOf('/');
            if (last <= 0) {
                return null;
            }
            String path = nodeName.substring(nodeName.startsWith("/") ? 1 : 0, last);
            return path.isEmpty() ? null : path.replace('/', '.');
        }

        /**
         * H from the Reshape that splits the query into heads: its target shape is
         * [B, T, H, D], as a constant or as a Concat of which input 2 is a constant.
         */
        Integer attentionHeads(Linear query) {
            if (query == null) {
                return null;
            }
            String weight = query.initializer().getName();
            for (NodeProto n : nodes) {
                if (n.getInputCount() < 2 || !n.getInput(1).equals(weight)) {
                    continue;
                }
                String q = n.getOutput(0);
                // the bias Add may follow the MatMul; then the Reshape reads the Add's output
                for (NodeProto c : consumers.getOrDefault(q, List.of())) {
                    if (c.getOpType().equals("Add")) {
                        q = c.getOutput(0);
                    }
                }
                for (NodeProto r : consumers.getOrDefault(q, List.of())) {
                    if (r.getOpType().equals("Reshape") && r.getInputCount() == 2) {
                        long[] target = constantInts(r.getInput(1));
                        if (target == null) {
                            NodeProto concat = producer.get(r.getInput(1));
                            if (concat != null && concat.getOpType().equals("Concat")
                                    && concat.getInputCount() == 4) {
                                long[] h = constantInts(concat.getInput(2));
                                target = h == null ? null : new long[] {0, 0, h[0], 0};
                            }
                        }
                        if (target != null && target.length == 4 && target[2] > 0
                                && target[2] <= Integer.MAX_VALUE) {
                            return (int) target[2];
                        }
                    }
                }
            }
            return null;
        }

        /**
         * The epsilon of the first LayerNorm: a LayerNormalization node's attribute, or the
         * constant added to the variance before Sqrt in the decomposed form.
         */
        Double layerNormEps() {
            for (NodeProto n : nodes) {
                if (n.getOpType().equals("LayerNormalization")) {
                    for (AttributeProto a : n.getAttributeList()) {
                        if (a.getName().equals("epsilon")) {
                            return shortest(a.getF());
                        }
                    }
                    return shortest(1e-5f); // the operator's documented default
                }
                if (n.getOpType().equals("Sqrt")) {
                    NodeProto add = producer.get(n.getInput(0));
                    if (add != null && add.getOpType().equals("Add")) {
                        for (String in : add.getInputList()) {
                            Float eps = constantFloat(in);
                            if (eps != null) {
                                return shortest(eps);
                            }
                        }
                    }
                }
            }
            return null;
        }

        /** "gelu" if the graph computes erf, "gelu_new" if tanh, else null. */
        String activation() {
            for (NodeProto n : nodes) {
                if (n.getOpType().equals("Erf")) {
                    return "gelu";
                }
                if (n.getOpType().equals("Tanh")) {
                    return "gelu_new";
                }
            }
            return null;
        }

        private static int intAttribute(NodeProto n, String name) {
            for (AttributeProto a : n.getAttributeList()) {
                if (a.getName().equals(name)) {
                    return (int) a.getI();
                }
            }
            return 0;
        }

        /** The value tensor of a Constant node or an initializer called {@code value}. */
        private TensorProto constant(String value) {
            TensorProto t = initializers.get(value);
            if (t != null) {
                return t;
            }
            NodeProto n = producer.get(value);
            if (n == null || !n.getOpType().equals("Constant")) {
                return null;
            }
            for (AttributeProto a : n.getAttributeList()) {
                if (a.getName().equals("value") && a.hasT()) {
                    return a.getT();
                }
            }
            return null;
        }

        private long[] constantInts(String value) {
            TensorProto t = constant(value);
            if (t == null || t.getDataType() != TensorProto.DataType.INT64_VALUE) {
                return null;
            }
            if (t.hasRawData()) {
                ByteString raw = t.getRawData();
                long[] v = new long[raw.size() / 8];
                raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(v);
                return v;
            }
            return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
        }

        private Float constantFloat(String value) {
            TensorProto t = constant(value);
            if (t == null || t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
                return null;
            }
            if (t.hasRawData() && t.getRawData().size() == 4) {
                return t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN)
                        .getFloat();
            }
            return t.getFloatDataCount() == 1 ? t.getFloatData(0) : null;
        }

        /** The double whose decimal form is the float's shortest: 1e-12f becomes 1e-12. */
        private static double shortest(float f) {
            return Double.parseDouble(Float.toString(f));
        }
    }

    /** The imported weights. */
    private record Weights(String source, HfConfig config, Map<String, Tensor> weights)
            implements BertWeights {
        @Override
        public Set<String> names() {
            return weights.keySet();
        }

        @Override
        public Tensor get(String name) {
            Tensor t = weights.get(name);
            if (t == null) {
                throw new ModelFormatException(source, name, "no such weight"
                        + SafeTensors.sample(weights.keySet()));
            }
            return t;
        }
    }
}
