package dev.gatun.io;

import static dev.gatun.io.IoTestSupport.assertFormatError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxToHfConverterTest {
    @TempDir
    Path dir;

    @Test
    void convertsAllMiniLmFromTheJarIntoAnHfFolder() throws IOException {
        assertTrue(OnnxToHfConverter.miniLmAvailable(), "the jar is a test dependency");
        Path out = dir.resolve("minilm");
        OnnxToHfConverter.convertMiniLm(out);

        byte[] tokenizer;
        try (InputStream in = getClass().getClassLoader()
                .getResourceAsStream(OnnxToHfConverter.MINILM_TOKENIZER_RESOURCE)) {
            tokenizer = in.readAllBytes();
        }
        assertArrayEquals(tokenizer, Files.readAllBytes(out.resolve("tokenizer.json")));

        try (Scope scope = Scope.open()) {
            BertWeights onnx = OnnxBertImporter.load(new ByteArrayInputStream(
                    OnnxBertImporterTest.miniLmBytes()), "minilm", scope);
            HfBertWeights hf = HfBertWeights.load(out, scope);
            assertEquals(onnx.config(), hf.config());
            for (String name : onnx.names()) {
                Tensor t = hf.get(name);
                assertTrue(t.isContiguous(), name + " is stored [out, in] contiguous");
                assertArrayEquals(onnx.get(name).shape(), t.shape(), name);
                assertArrayEquals(onnx.get(name).toFloatArray(), t.toFloatArray(), name);
            }
            assertEquals("pt", SafeTensors.open(out.resolve("model.safetensors"), scope)
                    .metadata().get("format"));
        }
    }

    @Test
    void convertsAFileWithAGivenTokenizer() throws IOException {
        long seed = System.nanoTime();
        TinyOnnxBert tiny = new TinyOnnxBert();
        Path model = Files.write(dir.resolve("tiny.onnx"),
                tiny.build(new Random(seed)).toByteArray());
        Path tokenizer = Files.writeString(dir.resolve("tok.json"), "{\"version\":\"1.0\"}");
        Path out = dir.resolve("out");
        OnnxToHfConverter.convert(model, tokenizer, out);
        assertEquals("{\"version\":\"1.0\"}", Files.readString(out.resolve("tokenizer.json")));
        try (Scope scope = Scope.open()) {
            HfBertWeights hf = HfBertWeights.load(out, scope);
            assertEquals(tiny.c, hf.config().hiddenSize(), "seed=" + seed);
            for (String name : hf.names()) {
                assertArrayEquals(tiny.expected.get(name), hf.get(name).toFloatArray(),
                        name + " seed=" + seed);
            }
        }
        Path noTokenizer = dir.resolve("bare");
        OnnxToHfConverter.convert(model, null, noTokenizer);
        assertFalse(Files.exists(noTokenizer.resolve("tokenizer.json")));
        assertTrue(Files.exists(noTokenizer.resolve("config.json")));
    }

    @Test
    void hfBertWeightsAcceptsTheBertPrefixAndChecksShapes() throws IOException {
        long seed = System.nanoTime();
        TinyOnnxBert tiny = new TinyOnnxBert();
        Path model = Files.write(dir.resolve("tiny.onnx"),
                tiny.build(new Random(seed)).toByteArray());
        Path out = dir.resolve("prefixed");
        OnnxToHfConverter.convert(model, null, out);
        Path weights = out.resolve("model.safetensors");
        try (Scope scope = Scope.open()) {
            SafeTensors st = SafeTensors.open(weights, scope);
            Map<String, Tensor> prefixed = new LinkedHashMap<>();
            Map<String, Tensor> wrong = new LinkedHashMap<>();
            for (String name : st.names()) {
                prefixed.put("bert." + name, st.get(name));
                wrong.put(name, name.equals("embeddings.LayerNorm.bias")
                        ? st.get(name).slice(0, 0, 3) : st.get(name));
            }
            prefixed.put("pooler.dense.bias", st.get("embeddings.LayerNorm.bias"));
            SafeTensors.write(dir.resolve("p.safetensors"), prefixed);
            SafeTensors.write(dir.resolve("w.safetensors"), wrong);
        }
        Files.copy(dir.resolve("p.safetensors"), weights,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (Scope scope = Scope.open()) {
            HfBertWeights hf = HfBertWeights.load(out, scope);
            assertFalse(hf.names().stream().anyMatch(n -> n.startsWith("bert.")));
            assertArrayEquals(tiny.expected.get("encoder.layer.1.output.dense.weight"),
                    hf.get("encoder.layer.1.output.dense.weight").toFloatArray(),
                    "seed=" + seed);
        }
        Files.copy(dir.resolve("w.safetensors"), weights,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertFormatError(() -> {
            try (Scope scope = Scope.open()) {
                HfBertWeights.load(out, scope);
            }
        }, "tensor 'embeddings.LayerNorm.bias'", "shape [3] differs from [8]");
    }
}
