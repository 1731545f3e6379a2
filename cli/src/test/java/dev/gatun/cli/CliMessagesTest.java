package dev.gatun.cli;

import static dev.gatun.cli.MainTest.assertBadInput;
import static dev.gatun.cli.MainTest.gatun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gatun command's messages for file errors, output errors, '@' texts and prompts longer
 * than the context.
 */
class CliMessagesTest {
    @Test
    void fileErrorsNameThePathAndTheReason() {
        assertEquals("a.bin: no such file", Main.describe(new NoSuchFileException("a.bin")));
        assertEquals("a.bin: permission denied",
                Main.describe(new AccessDeniedException("a.bin")));
        assertEquals("d: already exists and is not empty",
                Main.describe(new DirectoryNotEmptyException("d")));
        assertEquals("f: Read-only file system",
                Main.describe(new FileSystemException("f", null, "Read-only file system")));
        assertEquals("f: FileSystemException", Main.describe(new FileSystemException("f")));
    }

    @Test
    void convertOntoANonEmptyFolderSaysSo(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("taken");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "mine");
        assertBadInput(gatun("convert", "minilm", target.toString()), target.toString(),
                "already exists and is not empty");
        assertEquals("mine", Files.readString(target.resolve("keep.txt")));
    }

    @Test
    void convertWhereItCannotWriteNamesTheTargetNotThePartialFolder() {
        Path proc = Path.of("/proc");
        assumeTrue(Files.isDirectory(proc), "no /proc here");
        String target = "/proc/gatun-out-" + ProcessHandle.current().pid();
        MainTest.Run r = gatun("convert", "minilm", target);
        assertBadInput(r, target + ":");
        assertFalse(r.err().contains(".partial"), "internal name in: " + r.describe());
    }

    @Test
    void anAtSignTextIsEmbeddedLiterally(@TempDir Path dir) throws IOException {
        String backend = MainTest.hostBackend();
        assumeTrue(backend != null, "no usable host backend");
        Path file = dir.resolve("alice");
        Files.writeString(file, "the contents of a file");
        String text = "@" + file;
        MainTest.Run r = gatun("embed", "--backend", backend, text);
        assertEquals(Main.OK, r.status(), r.describe());
        JsonNode line = MainTest.JSON.readTree(r.out().lines().findFirst().orElseThrow());
        assertEquals(text, line.get("text").asText(), r.describe());
    }

    @Test
    void messagesNameTheOptionsAndWhatIsWrong(@TempDir Path dir) {
        MainTest.Run r = gatun("embed", "--max-tokens", "513", "x");
        assertBadInput(r, "--max-tokens", "513");
        assertFalse(r.err().contains("maxTokens"), r.describe());
        assertBadInput(gatun("generate", "--checkpoint", dir.toString()), dir.toString(),
                "not a Hugging Face model folder (no config.json)");
    }

    @Test
    void nanWeightsAreAFailureNotAResult(@TempDir Path dir) throws IOException {
        String backend = MainTest.hostBackend();
        assumeTrue(backend != null, "no usable host backend");
        Path ckpt = Path.of(System.getProperty("gatun.shared.dir", "../shared"),
                "fixtures/llama2c/stories260K.bin");
        assumeTrue(Files.isRegularFile(ckpt), "no stories260K.bin at " + ckpt);
        // llama2.c: a header of 7 int32, then F32 weights, all made NaN here
        Path nanCkpt = dir.resolve("nan.bin");
        Files.write(nanCkpt, withNaN(Files.readAllBytes(ckpt), 28));
        MainTest.Run g = gatun("generate", "--backend", backend, "--checkpoint",
                nanCkpt.toString(), "--steps", "3");
        assertEquals(Main.FAILED, g.status(), g.describe());
        assertTrue(g.err().contains("non-finite"), g.describe());
        assertTrue(g.out().isEmpty(), g.describe());

        Path hf = dir.resolve("minilm-hf");
        assertEquals(Main.OK, gatun("convert", "minilm", hf.toString()).status());
        Path st = hf.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(st);
        long headerLength = java.nio.ByteBuffer.wrap(bytes, 0, 8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assumeTrue(!header.contains("\"dtype\":\"F16\"") && !header.contains("BF16"),
                "the converted model is not all F32: " + header);
        Files.write(st, withNaN(bytes, 8 + (int) headerLength));
        MainTest.Run e = gatun("embed", "--backend", backend, "--model", hf.toString(),
                "a", "b");
        assertEquals(Main.FAILED, e.status(), e.describe());
        assertTrue(e.err().contains("text 0") && e.err().contains("non-finite"),
                e.describe());
        assertTrue(e.out().isEmpty(), e.describe());
    }

    /** {@code bytes} with every 4-byte little-endian float from {@code from} set to NaN. */
    private static byte[] withNaN(byte[] bytes, int from) {
        for (int i = from; i + 4 <= bytes.length; i += 4) {
            bytes[i] = 0;
            bytes[i + 1] = 0;
            bytes[i + 2] = (byte) 0xc0;
            bytes[i + 3] = 0x7f;
        }
        return bytes;
    }

    @Test
    void aLostOutputIsAFailure() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"backends"}, new PrintStream(broken, true,
                StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(Main.FAILED, status, e);
        assertTrue(e.contains("cannot write output"), e);
    }

    @Test
    void aPromptLongerThanTheContextSaysSo() {
        Path ckpt = Path.of(System.getProperty("gatun.shared.dir", "../shared"),
                "fixtures/llama2c/stories260K.bin");
        assumeTrue(Files.isRegularFile(ckpt), "no stories260K.bin at " + ckpt);
        String prompt = String.join(" ", Collections.nCopies(520, "5"));
        assertBadInput(gatun("generate", "--checkpoint", ckpt.toString(), "--prompt", prompt),
                "the prompt (521 tokens with BOS) exceeds the model's context of 512");
        MainTest.Run r = gatun("generate", "--checkpoint", ckpt.toString(), "--steps", "600");
        assertBadInput(r, "1 token", "use at most");
        assertFalse(r.err().contains("1 tokens"), r.describe());
    }
}
