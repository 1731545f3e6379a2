package dev.gatun.io;

import static dev.gatun.io.IoTestSupport.assertFormatError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.gatun.Activation;
import dev.gatun.DType;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.io.onnx.OnnxProtos.GraphProto;
import dev.gatun.io.onnx.OnnxProtos.ModelProto;
import dev.gatun.io.onnx.OnnxProtos.NodeProto;
import dev.gatun.io.onnx.OnnxProtos.TensorProto;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxBertImporterTest {
    @TempDir
    Path dir;

    // ---- all-MiniLM-L6-v2 from the langchain4j jar ------------------------------------------

    @Test
    void importsAllMiniLmL6V2WithEveryNameShapeAndValue() throws IOException {
        byte[] bytes = miniLmBytes();
        ModelProto model = ModelProto.parseFrom(bytes);
        try (Scope scope = Scope.open()) {
            BertWeights w = OnnxBertImporter.load(new ByteArrayInputStream(bytes),
                    "all-minilm-l6-v2.onnx", scope);
            HfConfig c = w.config();
            assertEquals(HfConfig.bert(384, 6, 12, 1536, 512, 30522, 2, 1e-12, "gelu"), c);
            assertEquals(Activation.GELU_ERF, c.activation());

            Map<String, long[]> shapes = BertWeights.expectedShapes(c);
            assertEquals(new ArrayList<>(shapes.keySet()), new ArrayList<>(w.names()));
            assertEquals(5 + 6 * 16, shapes.size());
            Map<String, float[]> raw = rawInitializers(model);
            Map<String, String> matmulWeight = matmulWeights(model);
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                String name = e.getKey();
                Tensor t = w.get(name);
                assertEquals(DType.F32, t.dtype(), name);
                assertArrayEquals(e.getValue(), t.shape(), name);
                String init = matmulWeight.getOrDefault(name, name);
                float[] stored = raw.get(init);
                assertNotNull(stored, name + " has no initializer " + init);
                float[] actual = t.toFloatArray();
                if (matmulWeight.containsKey(name)) {
                    // stored [in, out]; handed out [out, in]
                    int out = (int) t.dim(0);
                    int in = (int) t.dim(1);
                    for (int o = 0; o < out; o++) {
                        for (int i = 0; i < in; i++) {
                            if (actual[o * in + i] != stored[i * out + o]) {
                                assertEquals(stored[i * out + o], actual[o * in + i],
                                        name + " [" + o + ", " + i + "]");
                            }
                        }
                    }
                } else {
                    assertArrayEquals(stored, actual, name);
                }
            }
        }
    }

    @Test
    void weightsAreCopiedOnceIntoTheCallersScope() throws IOException {
        byte[] bytes = miniLmBytes();
        Tensor embedding;
        try (Scope scope = Scope.open()) {
            BertWeights w = OnnxBertImporter.load(new ByteArrayInputStream(bytes), "minilm",
                    scope);
            embedding = w.get("embeddings.word_embeddings.weight");
            assertEquals(0, embedding.segment().address() % 64, "64-byte aligned copy");
            // the copy is independent of the bytes the protobuf message aliases
            float before = embedding.getFloat(1000, 7);
            Arrays.fill(bytes, (byte) 0);
            assertTrue(before != 0f, "a weight of the real model");
            assertEquals(before, embedding.getFloat(1000, 7), "changed with the input bytes");
        }
        assertFalse(embedding.isAlive());
    }

    // ---- small hand-built graphs, one rule at a time ----------------------------------------

    @Test
    void importsATinyExportFromAFileAndFromAStream() throws IOException {
        long seed = System.nanoTime();
        TinyOnnxBert tiny = new TinyOnnxBert();
        ModelProto model = tiny.build(new Random(seed));
        Path file = Files.write(dir.resolve("tiny.onnx"), model.toByteArray());
        try (Scope scope = Scope.open()) {
            checkTiny(tiny, OnnxBertImporter.load(file, scope), "file seed=" + seed);
            checkTiny(tiny, OnnxBertImporter.load(new ByteArrayInputStream(model.toByteArray()),
                    "tiny", scope), "stream seed=" + seed);
        }
    }

    @Test
    void mapsLinearWeightsByBiasAloneByNodeNameAloneAndThroughGemm() {
        long seed = System.nanoTime();
        for (Consumer<TinyOnnxBert> variant : List.<Consumer<TinyOnnxBert>>of(
                t -> t.anonymousNodes = true,
                t -> t.noBiasAdds = true,
                t -> t.gemmIntermediate = true,
                t -> t.floatData = true)) {
            TinyOnnxBert tiny = new TinyOnnxBert();
            variant.accept(tiny);
            ModelProto model = tiny.build(new Random(seed));
            try (Scope scope = Scope.open()) {
                checkTiny(tiny, load(model, scope), "anonymous=" + tiny.anonymousNodes
                        + " noBias=" + tiny.noBiasAdds + " gemm=" + tiny.gemmIntermediate
                        + " floatData=" + tiny.floatData + " seed=" + seed);
            }
        }
    }

    @Test
    void rejectsAModelLackingANamedInitializer() {
        TinyOnnxBert tiny = new TinyOnnxBert();
        tiny.omit.add("encoder.layer.1.output.LayerNorm.bias");
        ModelProto model = tiny.build(new Random(1));
        assertFormatError(() -> loadAndClose(model), "tiny.onnx",
                "tensor 'encoder.layer.1.output.LayerNorm.bias'", "missing");
    }

    @Test
    void rejectsAModelLackingALinearWeight() {
        TinyOnnxBert tiny = new TinyOnnxBert();
        ModelProto full = tiny.build(new Random(2));
        // drop the initializer that the key MatMul of layer 1 reads
        String keyWeight = full.getGraph().getNodeList().stream()
                .filter(n -> n.getName().equals("/encoder/layer.1/attention/self/key/MatMul"))
                .findFirst().orElseThrow().getInput(1);
        ModelProto model = withoutInitializer(full, keyWeight);
        assertFormatError(() -> loadAndClose(model),
                "tensor 'encoder.layer.1.attention.self.key.weight'", "missing");
    }

    @Test
    void rejectsRawDataOfTheWrongSizeAndExternalData() {
        TinyOnnxBert tiny = new TinyOnnxBert();
        ModelProto model = tiny.build(new Random(3));
        ModelProto shortRaw = replaceInitializer(model, "embeddings.LayerNorm.weight",
                t -> t.setRawData(ByteString.copyFrom(new byte[12])));
        assertFormatError(() -> loadAndClose(shortRaw), "tensor 'embeddings.LayerNorm.weight'",
                "12 bytes of raw_data", "need 32");
        ModelProto external = replaceInitializer(model, "embeddings.LayerNorm.bias",
                t -> t.clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL));
        assertFormatError(() -> loadAndClose(external), "tensor 'embeddings.LayerNorm.bias'",
                "external data");
        ModelProto int64 = replaceInitializer(model, "embeddings.LayerNorm.bias",
                t -> t.setDataType(TensorProto.DataType.INT64_VALUE));
        assertFormatError(() -> loadAndClose(int64), "data_type 7");
    }

    @Test
    void rejectsBytesThatAreNotAnOnnxModel() throws IOException {
        Path junk = Files.write(dir.resolve("junk.onnx"), new byte[] {(byte) 0xFF, 1, 2, 3});
        try (Scope scope = Scope.open()) {
            assertFormatError(() -> OnnxBertImporter.load(junk, scope), "junk.onnx",
                    "not a valid ONNX model");
            assertFormatError(() -> OnnxBertImporter.load(new ByteArrayInputStream(new byte[0]),
                    "empty", scope), "empty", "no graph");
        }
    }

    @Test
    void needsTheHeadCountUnlessTheModelIsMiniLmSized() {
        TinyOnnxBert tiny = new TinyOnnxBert();
        tiny.noHeadsReshape = true;
        ModelProto model = tiny.build(new Random(4));
        assertFormatError(() -> loadAndClose(model), "number of attention heads", "C = 8");
    }

    @Test
    void aClosedScopeIsRefused() {
        Scope scope = Scope.open();
        scope.close();
        ModelProto model = new TinyOnnxBert().build(new Random(5));
        assertThrows(IllegalStateException.class, () -> OnnxBertImporter.load(
                new ByteArrayInputStream(model.toByteArray()), "tiny", scope));
    }

    // ---- helpers ----------------------------------------------------------------------------

    static byte[] miniLmBytes() throws IOException {
        try (InputStream in = OnnxBertImporterTest.class.getClassLoader()
                .getResourceAsStream(OnnxToHfConverter.MINILM_MODEL_RESOURCE)) {
            assertNotNull(in, "the langchain4j all-MiniLM-L6-v2 jar is a test dependency");
            return in.readAllBytes();
        }
    }

    private static void checkTiny(TinyOnnxBert tiny, BertWeights w, String msg) {
        HfConfig c = w.config();
        assertEquals(HfConfig.bert(tiny.c, tiny.layers, tiny.heads, tiny.f, tiny.positions,
                tiny.vocab, tiny.types, Double.parseDouble(Float.toString(tiny.eps)), "gelu"),
                c, msg);
        for (Map.Entry<String, long[]> e : BertWeights.expectedShapes(c).entrySet()) {
            Tensor t = w.get(e.getKey());
            assertArrayEquals(e.getValue(), t.shape(), e.getKey() + " " + msg);
            assertArrayEquals(tiny.expected.get(e.getKey()), t.toFloatArray(),
                    e.getKey() + " " + msg);
        }
    }

    private static BertWeights load(ModelProto model, Scope scope) {
        return OnnxBertImporter.load(new ByteArrayInputStream(model.toByteArray()), "tiny.onnx",
                scope);
    }

    private static void loadAndClose(ModelProto model) {
        try (Scope scope = Scope.open()) {
            load(model, scope);
        }
    }

    private static ModelProto withoutInitializer(ModelProto model, String name) {
        GraphProto.Builder g = model.getGraph().toBuilder().clearInitializer();
        model.getGraph().getInitializerList().stream()
                .filter(t -> !t.getName().equals(name)).forEach(g::addInitializer);
        return model.toBuilder().setGraph(g).build();
    }

    private static ModelProto replaceInitializer(ModelProto model, String name,
                                                 Consumer<TensorProto.Builder> change) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            if (g.getInitializer(i).getName().equals(name)) {
                TensorProto.Builder t = g.getInitializer(i).toBuilder();
                change.accept(t);
                g.setInitializer(i, t);
            }
        }
        return model.toBuilder().setGraph(g).build();
    }

    /** Every FLOAT initializer decoded from raw_data with a plain ByteBuffer. */
    private static Map<String, float[]> rawInitializers(ModelProto model) {
        Map<String, float[]> out = new HashMap<>();
        for (TensorProto t : model.getGraph().getInitializerList()) {
            if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
                continue;
            }
            ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            float[] v = new float[b.remaining() / 4];
            b.asFloatBuffer().get(v);
            out.put(t.getName(), v);
        }
        return out;
    }

    /**
     * HF linear weight name -> the initializer its MatMul reads, by the node names this
     * export uses ("/encoder/layer.0/attention/self/query/MatMul").
     */
    private static Map<String, String> matmulWeights(ModelProto model) {
        Map<String, String> byNode = new HashMap<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            if (n.getOpType().equals("MatMul")) {
                byNode.put(n.getName(), n.getInput(1));
            }
        }
        Map<String, String> out = new HashMap<>();
        String[][] modules = {
                {"attention.self.query", "attention/self/query"},
                {"attention.self.key", "attention/self/key"},
                {"attention.self.value", "attention/self/value"},
                {"attention.output.dense", "attention/output/dense"},
                {"intermediate.dense", "intermediate/dense"},
                {"output.dense", "output/dense"}};
        for (int i = 0; i < 6; i++) {
            for (String[] m : modules) {
                String node = "/encoder/layer." + i + "/" + m[1] + "/MatMul";
                assertTrue(byNode.containsKey(node), "export has no node " + node);
                out.put("encoder.layer." + i + "." + m[0] + ".weight", byNode.get(node));
            }
        }
        return out;
    }
}
