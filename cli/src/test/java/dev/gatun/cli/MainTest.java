package dev.gatun.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatun.Backends;
import dev.gatun.Scope;
import dev.gatun.io.LlamaHfConverter;
import dev.gatun.io.SafeTensors;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gatun command run in-process: exit statuses, one-line errors, and the shape of what
 * each command prints.
 */
class MainTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** What one run printed and returned. */
    record Run(int status, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }

        String describe() {
            return "status " + status + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    static Run gatun(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8));
    }

    /** Exit status 2 and exactly one line on stderr that contains every {@code words}. */
    static void assertBadInput(Run r, String... words) {
        assertEquals(Main.BAD_INPUT, r.status(), r.describe());
        assertEquals(1, r.errLines().size(), "one line expected: " + r.describe());
        for (String w : words) {
            assertTrue(r.err().contains(w), "'" + w + "' expected in: " + r.describe());
        }
        assertTrue(r.out().isEmpty(), "nothing on stdout: " + r.describe());
    }

    static String hostBackend() {
        return Backends.list().stream().filter(Backends.Info::usable)
                .map(Backends.Info::name).filter(n -> Backends.get(n).device()
                        == dev.gatun.Device.CPU).findFirst().orElse(null);
    }

    // ---- bad input: status 2, one line ---------------------------------------------------

    @Test
    void unknownOptionAndMissingCommand() {
        assertBadInput(gatun("embed", "--frobnicate", "x"), "--frobnicate");
        assertBadInput(gatun("frobnicate"), "frobnicate");
        assertBadInput(gatun(), "missing command");
        assertBadInput(gatun("embed"), "TEXT");
    }

    @Test
    void badNumbers() {
        assertBadInput(gatun("embed", "--max-tokens", "many", "x"), "--max-tokens", "many");
        assertBadInput(gatun("generate", "--checkpoint", "x.bin", "--steps", "1e3"),
                "--steps", "1e3");
        assertBadInput(gatun("generate", "--checkpoint", "x.bin", "--temperature", "hot"),
                "--temperature", "hot");
        assertBadInput(gatun("embed", "--max-tokens", "513", "x"), "512", "513");
        assertBadInput(gatun("embed", "--max-tokens", "0", "x"), "0");
    }

    @Test
    void missingFiles(@TempDir Path dir) {
        Path none = dir.resolve("absent.bin");
        assertBadInput(gatun("generate", "--checkpoint", none.toString()), none.toString());
        assertBadInput(gatun("embed", "--model", dir.resolve("x.onnx").toString(), "hi"),
                "x.onnx");
        assertBadInput(gatun("embed", "--model", dir.toString(), "hi"), "config.json");
        assertBadInput(gatun("convert", dir.resolve("x.onnx").toString(),
                dir.resolve("out").toString()), "x.onnx");
        assertBadInput(gatun("embed", "--backend", "abacus", "hi"), "abacus");
    }

    @Test
    void corruptFiles(@TempDir Path dir) throws IOException {
        Path ckpt = dir.resolve("garbage.bin");
        Files.write(ckpt, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        assertBadInput(gatun("generate", "--checkpoint", ckpt.toString()), "garbage.bin");

        Path onnx = dir.resolve("broken.onnx");
        Files.writeString(onnx, "this is not protobuf, nor a model");
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        assertBadInput(gatun("embed", "--model", onnx.toString(), "hi"), "broken.onnx");

        Path out = dir.resolve("converted");
        assertBadInput(gatun("convert", onnx.toString(), out.toString()), "broken.onnx");
        assertFalse(Files.exists(out), "no output folder after a failed convert");
        try (Stream<Path> left = Files.list(dir)) {
            List<String> names = left.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("broken.onnx", "garbage.bin", "tokenizer.json"), names,
                    "no partial files left behind");
        }
    }

    @Test
    void verboseAddsTheStackTrace(@TempDir Path dir) {
        Run r = gatun("generate", "--verbose", "--checkpoint", dir.resolve("a.bin").toString());
        assertEquals(Main.BAD_INPUT, r.status(), r.describe());
        assertTrue(r.errLines().size() > 3 && r.err().contains("\tat "), r.describe());
    }

    // ---- output shape --------------------------------------------------------------------

    @Test
    void embedPrintsOneJsonLinePerTextAndASummary() throws IOException {
        String backend = hostBackend();
        assumeTrue(backend != null, "no usable host backend: " + Backends.list());
        List<String> texts = List.of("The cat sits on the mat.", "", "Un café, s'il vous plaît");
        Run r = gatun(Stream.concat(Stream.of("embed", "--backend", backend), texts.stream())
                .toArray(String[]::new));
        assertEquals(Main.OK, r.status(), r.describe());
        List<String> lines = r.out().lines().toList();
        assertEquals(texts.size(), lines.size(), r.describe());
        for (int i = 0; i < texts.size(); i++) {
            JsonNode line = JSON.readTree(lines.get(i));
            assertEquals(List.of("text", "tokens", "embedding"), fieldNames(line));
            assertEquals(texts.get(i), line.get("text").asText());
            assertTrue(line.get("tokens").asInt() >= 2, lines.get(i));
            JsonNode e = line.get("embedding");
            assertEquals(384, e.size());
            double norm = 0;
            for (JsonNode v : e) {
                norm += v.asDouble() * v.asDouble();
            }
            assertEquals(1, norm, 1e-5, "unit length, text " + i);
        }
        assertEquals(1, r.errLines().size(), r.describe());
        assertTrue(r.err().contains("all-MiniLM-L6-v2") && r.err().contains(backend)
                && r.err().contains("tokens/s") && r.err().contains(" ms"), r.describe());
    }

    @Test
    void similarityPrintsTheCosineMatrix() throws IOException {
        String backend = hostBackend();
        assumeTrue(backend != null, "no usable host backend: " + Backends.list());
        Run r = gatun("embed", "--similarity", "--backend", backend, "The cat sits on the mat.",
                "A cat is sitting on a mat.", "Stock prices fell sharply.");
        assertEquals(Main.OK, r.status(), r.describe());
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r.describe());
        double[][] m = new double[3][];
        for (int i = 0; i < 3; i++) {
            JsonNode row = JSON.readTree(lines.get(i)).get("similarity");
            assertEquals(3, row.size(), lines.get(i));
            m[i] = new double[3];
            for (int j = 0; j < 3; j++) {
                m[i][j] = row.get(j).asDouble();
            }
        }
        for (int i = 0; i < 3; i++) {
            assertEquals(1, m[i][i], 1e-5, "diagonal");
            for (int j = 0; j < 3; j++) {
                assertEquals(m[i][j], m[j][i], 1e-6, "symmetric");
            }
        }
        assertTrue(m[0][1] > m[0][2] + 0.3, "paraphrases closer than unrelated: "
                + Arrays.deepToString(m));
    }

    @Test
    void convertWritesAFolderThatEmbedsLikeTheOriginal(@TempDir Path dir) throws IOException {
        String backend = hostBackend();
        assumeTrue(backend != null, "no usable host backend: " + Backends.list());
        Path out = dir.resolve("minilm-hf");
        Run c = gatun("convert", "minilm", out.toString());
        assertEquals(Main.OK, c.status(), c.describe());
        assertEquals(1, c.errLines().size(), c.describe());
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + " in " + out);
        }

        Run again = gatun("convert", "minilm", out.toString());
        assertBadInput(again, out.toString());

        String text = "Converted models embed like the original.";
        JsonNode a = JSON.readTree(gatun("embed", "--backend", backend, text).out());
        JsonNode b = JSON.readTree(gatun("embed", "--backend", backend, "--model",
                out.toString(), text).out());
        for (int k = 0; k < 384; k++) {
            assertEquals(a.get("embedding").get(k).asDouble(),
                    b.get("embedding").get(k).asDouble(), 1e-6, "component " + k);
        }
    }

    @Test
    void anOnnxFileWithItsTokenizerBesideEmbedsAndConverts(@TempDir Path dir)
            throws IOException {
        String backend = hostBackend();
        assumeTrue(backend != null, "no usable host backend: " + Backends.list());
        Path onnx = dir.resolve("all-minilm-l6-v2.onnx");
        for (String name : List.of("all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json")) {
            try (var in = MainTest.class.getClassLoader().getResourceAsStream(name)) {
                assumeTrue(in != null, name + " is not on the test class path");
                Files.copy(in, dir.resolve(name));
            }
        }
        String text = "An ONNX file on disk.";
        JsonNode a = JSON.readTree(gatun("embed", "--backend", backend, text).out());
        Run fromFile = gatun("embed", "--backend", backend, "--model", onnx.toString(), text);
        assertEquals(Main.OK, fromFile.status(), fromFile.describe());
        JsonNode b = JSON.readTree(fromFile.out());
        for (int k = 0; k < 384; k++) {
            assertEquals(a.get("embedding").get(k).asDouble(),
                    b.get("embedding").get(k).asDouble(), 1e-6, "component " + k);
        }

        Path out = dir.resolve("hf");
        Run c = gatun("convert", onnx.toString(), out.toString());
        assertEquals(Main.OK, c.status(), c.describe());
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")), c.describe());
    }

    @Test
    void generateGreedyMatchesLlama2cReference() throws IOException {
        Path shared = Path.of(System.getProperty("gatun.shared.dir", "../shared"));
        Path ckpt = shared.resolve("fixtures/llama2c/stories260K.bin");
        Path ref = shared.resolve("fixtures/llama2c/stories260K-greedy-128.safetensors");
        assumeTrue(Files.isRegularFile(ckpt) && Files.isRegularFile(ref),
                "fixtures absent under " + shared);
        String backend = hostBackend();
        assumeTrue(backend != null, "no usable host backend: " + Backends.list());
        int steps = 40;
        Run r = gatun("generate", "--backend", backend, "--checkpoint", ckpt.toString(),
                "--temperature", "0", "--steps", Integer.toString(steps), "--tokens");
        assertEquals(Main.OK, r.status(), r.describe());
        int[] got = Arrays.stream(r.out().strip().split(" ")).mapToInt(Integer::parseInt)
                .toArray();
        int[] expected;
        try (Scope scope = Scope.open()) {
            expected = SafeTensors.open(ref, scope).get("tokens").toIntArray();
        }
        assertArrayEquals(Arrays.copyOfRange(expected, 1, 1 + steps), got, r.describe());
        assertEquals(1, r.errLines().size(), r.describe());
        assertTrue(r.err().contains("stories260K.bin") && r.err().contains("tokens/s"),
                r.describe());
    }

    @Test
    void cudaWhereItCannotRunIsAOneLineErrorWithTheReason() {
        Backends.Info cuda = Backends.list().stream().filter(i -> i.name().equals("cuda"))
                .findFirst().orElseThrow();
        assumeTrue(!cuda.usable(), "CUDA can run here; its absence cannot be tested");
        String why = "backend 'cuda' cannot run here: " + cuda.reason();
        assertBadInput(gatun("embed", "--backend", "cuda", "a text"), "gatun embed: ", why);
        Run list = gatun("backends");
        assertTrue(list.out().contains("cuda") && list.out().contains(cuda.reason()),
                list.describe());

        // generate reads its checkpoint before it asks for the backend
        Path ckpt = Path.of(System.getProperty("gatun.shared.dir", "../shared"),
                "fixtures/llama2c/stories260K.bin");
        assumeTrue(Files.isRegularFile(ckpt), "no stories260K.bin at " + ckpt);
        assertBadInput(gatun("generate", "--backend", "cuda", "--checkpoint", ckpt.toString(),
                "--steps", "2"), "gatun generate: ", why);
    }

    @Test
    void generateFromAHuggingFaceFolderMatchesTheCheckpoint(@TempDir Path dir) {
        Path shared = Path.of(System.getProperty("gatun.shared.dir", "../shared"));
        Path ckpt = shared.resolve("fixtures/llama2c/stories260K.bin");
        assumeTrue(Files.isRegularFile(ckpt), "fixture absent under " + shared);
        String backend = hostBackend();
        assumeTrue(backend != null, "no usable host backend: " + Backends.list());
        Path hf = dir.resolve("stories260K-hf");
        LlamaHfConverter.convert(ckpt, hf);
        String[] common = {"--backend", backend, "--temperature", "0", "--steps", "24",
            "--tokens", "--prompt", "1 403 407"};
        Run fromBin = gatun(Stream.concat(Stream.of("generate", "--checkpoint",
                ckpt.toString()), Stream.of(common)).toArray(String[]::new));
        Run fromHf = gatun(Stream.concat(Stream.of("generate", "--checkpoint",
                hf.toString()), Stream.of(common)).toArray(String[]::new));
        assertEquals(Main.OK, fromBin.status(), fromBin.describe());
        assertEquals(Main.OK, fromHf.status(), fromHf.describe());
        assertTrue(fromBin.out().startsWith("1 403 407 "), fromBin.describe());
        assertEquals(fromBin.out(), fromHf.out(), "llama2.c and HF folder, greedy");
        assertTrue(fromHf.err().contains("Hugging Face"), fromHf.describe());
    }

    @Test
    void backendsListsEveryBackend() {
        Run r = gatun("backends");
        assertEquals(Main.OK, r.status(), r.describe());
        for (Backends.Info info : Backends.list()) {
            assertTrue(r.out().contains(info.name()), r.describe());
        }
    }

    static List<String> fieldNames(JsonNode node) {
        java.util.ArrayList<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
