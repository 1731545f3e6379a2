package dev.gatun.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The llama2.c tokenizer.bin reader on a vocabulary written here in run.c's layout: BPE
 * merges by score, byte fallback, decoding rules, and malformed files.
 */
class Llama2cTokenizerTest {
    // 0 <unk>, 1 BOS, 2 EOS, 3..258 the bytes, then these pieces with their merge scores
    static final String[] PIECES = {" ", "a", "b", "c", " a", "ab", " ab", "abc", "\n"};
    static final float[] SCORES = {0, -5, -5, -5, 1, 2, 3, 4, -5};

    static int id(String piece) {
        return 259 + Arrays.asList(PIECES).indexOf(piece);
    }

    static byte[] tokenizerBin() {
        List<byte[]> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        pieces.add("<unk>".getBytes(StandardCharsets.UTF_8));
        pieces.add("\n<s>\n".getBytes(StandardCharsets.UTF_8));
        pieces.add("\n</s>\n".getBytes(StandardCharsets.UTF_8));
        scores.addAll(List.of(0f, 0f, 0f));
        for (int b = 0; b < 256; b++) {
            pieces.add(String.format("<0x%02X>", b).getBytes(StandardCharsets.UTF_8));
            scores.add(0f);
        }
        for (int i = 0; i < PIECES.length; i++) {
            pieces.add(PIECES[i].getBytes(StandardCharsets.UTF_8));
            scores.add(SCORES[i]);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le(4).putInt(16).array());
        for (int i = 0; i < pieces.size(); i++) {
            out.writeBytes(le(8).putFloat(scores.get(i)).putInt(pieces.get(i).length).array());
            out.writeBytes(pieces.get(i));
        }
        return out.toByteArray();
    }

    static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    static final int V = 259 + PIECES.length;

    @Test
    void mergesByScoreAndDecodesBack(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.bin");
        Files.write(file, tokenizerBin());
        Llama2cTokenizer tok = Llama2cTokenizer.read(file, V);
        assertEquals(V, tok.vocabSize());

        // " abc": "ab" (2) first, then "abc" (4) beats " ab" (3); " abc" is not a piece
        assertArrayEquals(new int[] {1, id(" "), id("abc")}, tok.encode("abc", true));
        assertArrayEquals(new int[] {id(" "), id("abc"), id(" ab")},
                tok.encode("abc ab", false));
        assertArrayEquals(new int[] {1}, tok.encode("", true));
        assertEquals("abc", tok.decode(tok.encode("abc", true)), "space after BOS dropped");
        assertEquals(" abc ab", tok.decode(tok.encode("abc ab", false)));
    }

    @Test
    void unknownCharactersFallBackToBytes(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.bin");
        Files.write(file, tokenizerBin());
        Llama2cTokenizer tok = Llama2cTokenizer.read(file, V);
        // ü is UTF-8 C3 BC: byte tokens 0xC3 + 3 and 0xBC + 3
        assertArrayEquals(new int[] {1, id(" a"), 0xC3 + 3, 0xBC + 3}, tok.encode("aü", true));
        assertEquals("aü\n", tok.decode(new int[] {1, id(" a"), 0xC3 + 3, 0xBC + 3,
                id("\n"), 2}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tok.decode(new int[] {V}));
        assertTrue(e.getMessage().contains(Integer.toString(V)), e.getMessage());
    }

    @Test
    void malformedFilesAreNamed(@TempDir Path dir) throws IOException {
        byte[] good = tokenizerBin();
        Path cut = dir.resolve("cut.bin");
        Files.write(cut, Arrays.copyOf(good, good.length - 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Llama2cTokenizer.read(cut, V));
        assertTrue(e.getMessage().contains("cut.bin"), e.getMessage());

        Path whole = dir.resolve("whole.bin");
        Files.write(whole, good);
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> Llama2cTokenizer.read(whole, V - 1));
        assertTrue(small.getMessage().contains("larger vocabulary"), small.getMessage());
        assertThrows(NoSuchFileException.class,
                () -> Llama2cTokenizer.read(dir.resolve("absent.bin"), V));
    }
}
