package dev.gatun.cli;

import static dev.gatun.cli.MainTest.assertBadInput;
import static dev.gatun.cli.MainTest.gatun;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures of the gatun command: each is one line on stderr with exit status 2 for bad input
 * (1 for a failure inside Gatun), no stack trace unless --verbose, and a failed
 * {@code convert} leaves nothing behind, neither the target nor its temporary folder.
 * (MainTest covers unknown options, bad numbers, missing files and corrupt ones.)
 */
class CliFailureTest {
    static final String ONNX = "all-minilm-l6-v2.onnx";

    /** The names in {@code dir}, sorted. */
    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The first {@code fraction} of MiniLM's ONNX file: a model cut off mid-tensor. */
    static Path truncatedOnnx(Path dir, double fraction) throws IOException {
        byte[] model;
        try (InputStream in = CliFailureTest.class.getClassLoader().getResourceAsStream(ONNX)) {
            assumeTrue(in != null, ONNX + " is not on the test class path");
            model = in.readAllBytes();
        }
        Path file = dir.resolve("truncated.onnx");
        Files.write(file, Arrays.copyOf(model, (int) (model.length * fraction)));
        return file;
    }

    @Test
    void convertOfATruncatedModelLeavesNothingBehind(@TempDir Path dir) throws IOException {
        Path onnx = truncatedOnnx(dir, 0.6);
        Path out = dir.resolve("out");
        assertBadInput(gatun("convert", onnx.toString(), out.toString()), "truncated.onnx");
        assertEquals(List.of("truncated.onnx"), names(dir), "no target, no partial folder");
    }

    @Test
    void convertRefusesATargetThatIsAFileAndLeavesItAlone(@TempDir Path dir)
            throws IOException {
        Path target = dir.resolve("taken");
        Files.writeString(target, "keep me");
        assertBadInput(gatun("convert", "minilm", target.toString()), target.toString());
        assertEquals("keep me", Files.readString(target));
        assertEquals(List.of("taken"), names(dir));
    }

    @Test
    void convertIntoAFolderThatCannotBeCreatedLeavesNothingBehind(@TempDir Path dir)
            throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "not a folder");
        Path target = file.resolve("out"); // its parent is a regular file
        assertBadInput(gatun("convert", "minilm", target.toString()), "a-file");
        assertEquals(List.of("a-file"), names(dir));
    }

    @Test
    void convertIntoAReadOnlyFolderLeavesNothingBehind(@TempDir Path dir) throws IOException {
        Path readOnly = Files.createDirectory(dir.resolve("read-only"));
        assumeTrue(readOnly.toFile().setWritable(false, false), "cannot drop write access");
        try {
            assumeTrue(!Files.isWritable(readOnly), "this user (root?) can write to a"
                    + " folder without write permission");
            assertBadInput(gatun("convert", "minilm", readOnly.resolve("out").toString()),
                    "read-only");
            assertEquals(List.of(), names(readOnly));
        } finally {
            readOnly.toFile().setWritable(true, false);
        }
    }

    @Test
    void embedWithATokenizerBiggerThanTheModelIsBadInput(@TempDir Path dir) throws Exception {
        Path folder = dir.resolve("minilm-hf");
        assertEquals(Main.OK, gatun("convert", "minilm", folder.toString()).status());
        Path tokenizer = folder.resolve("tokenizer.json");
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(tokenizer.toFile());
        ((ArrayNode) root.get("added_tokens")).addObject().put("id", 31000)
                .put("content", "[EXTRA]").put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", true);
        json.writeValue(tokenizer.toFile(), root);

        assertBadInput(gatun("embed", "--model", folder.toString(), "hello"),
                tokenizer.toString(), "31001", "30522");
    }

    @Test
    void anErrorIsOneLineWithStatusOneAndItsTraceOnlyWhenVerbose() {
        OutOfMemoryError error = new OutOfMemoryError("Java heap space");
        StringWriter quiet = new StringWriter();
        assertEquals(Main.FAILED, Main.report("gatun embed", error, false,
                new PrintWriter(quiet)));
        assertEquals(List.of("gatun embed: failed: java.lang.OutOfMemoryError: Java heap space"
                + " (--verbose for details)"), quiet.toString().lines().toList());

        StringWriter loud = new StringWriter();
        Main.report("gatun embed", error, true, new PrintWriter(loud));
        assertTrue(loud.toString().lines().count() > 1 && loud.toString().contains("\tat "),
                loud.toString());
    }

    @Test
    void badInputNeverPrintsATraceWithoutVerbose(@TempDir Path dir) throws IOException {
        Path onnx = truncatedOnnx(dir, 0.3);
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        MainTest.Run r = gatun("embed", "--model", onnx.toString(), "hi");
        assertBadInput(r, "truncated.onnx");
        assertTrue(!r.err().contains("\tat "), r.describe());
        assertArrayEquals(new String[0], r.out().lines().toArray(), r.describe());
    }
}
