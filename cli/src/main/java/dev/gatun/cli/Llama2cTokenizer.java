package dev.gatun.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The llama2.c {@code tokenizer.bin}: a SentencePiece-style vocabulary of V pieces with merge
 * scores, encoding text the way llama2.c's {@code run.c} does and decoding IDs back to text.
 *
 * <pre>{@code
 * Llama2cTokenizer tok = Llama2cTokenizer.read(Path.of("tokenizer.bin"), 32000);
 * int[] ids = tok.encode("Once upon a time", true);   // {1, 9038, 2501, 263, 931}
 * String text = tok.decode(ids);                       // "Once upon a time"
 * }</pre>
 *
 * <p>File layout (little-endian): {@code int32 maxTokenLength}, then V records of
 * {@code float32 score, int32 byteLength, byteLength bytes of UTF-8}. V is not stored: it
 * comes from the checkpoint. Token 1 is BOS, 2 is EOS, and 3..258 are the raw bytes
 * {@code <0x00>..<0xFF>} used for characters outside the vocabulary.
 *
 * <p>Immutable and safe to share between threads.
 */
final class Llama2cTokenizer {
    static final int BOS = 1;
    static final int EOS = 2;
    private static final int FIRST_BYTE_TOKEN = 3;

    private final String[] pieces;
    private final byte[][] pieceBytes;
    private final float[] scores;
    private final Map<String, Integer> ids = new HashMap<>();

    private Llama2cTokenizer(String[] pieces, byte[][] pieceBytes, float[] scores) {
        this.pieces = pieces;
        this.pieceBytes = pieceBytes;
        this.scores = scores;
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
        }
    }

    /**
     * Reads {@code file} holding {@code vocabSize} pieces.
     *
     * @throws IOException if the file is missing or cannot be read
     * @throws IllegalArgumentException if it is not a tokenizer.bin of that many pieces
     */
    static Llama2cTokenizer read(Path file, int vocabSize) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no tokenizer file");
        }
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file))
                .order(ByteOrder.LITTLE_ENDIAN);
        String[] pieces = new String[vocabSize];
        byte[][] bytes = new byte[vocabSize][];
        float[] scores = new float[vocabSize];
        if (buf.remaining() < 4) {
            throw corrupt(file, "shorter than its 4-byte header");
        }
        int maxLength = buf.getInt();
        for (int i = 0; i < vocabSize; i++) {
            if (buf.remaining() < 8) {
                throw corrupt(file, "ends after " + i + " of the model's " + vocabSize
                        + " pieces");
            }
            scores[i] = buf.getFloat();
            int length = buf.getInt();
            if (length < 0 || length > maxLength || length > buf.remaining()) {
                throw corrupt(file, "piece " + i + " claims " + length + " bytes (max "
                        + maxLength + ", " + buf.remaining() + " left)");
            }
            bytes[i] = new byte[length];
            buf.get(bytes[i]);
            pieces[i] = new String(bytes[i], StandardCharsets.UTF_8);
        }
        if (buf.hasRemaining()) {
            throw corrupt(file, buf.remaining() + " bytes left after the model's " + vocabSize
                    + " pieces: it belongs to a model with a larger vocabulary");
        }
        return new Llama2cTokenizer(pieces, bytes, scores);
    }

    private static IllegalArgumentException corrupt(Path file, String problem) {
        return new IllegalArgumentException("tokenizer " + file + " is not a llama2.c"
                + " tokenizer.bin for this model: " + problem);
    }

    /** V, the number of pieces. */
    int vocabSize() {
        return pieces.length;
    }

    /**
     * Encodes {@code text} as llama2.c does: a leading space piece (SentencePiece's dummy
     * prefix), one piece per UTF-8 character (raw byte tokens for unknown ones), then
     * repeated merges of the adjacent pair whose merged piece scores highest.
     */
    int[] encode(String text, boolean bos) {
        List<Integer> tokens = new ArrayList<>();
        if (!text.isEmpty()) {
            Integer space = ids.get(" ");
            if (space != null) {
                tokens.add(space);
            }
        }
        text.codePoints().forEach(cp -> {
            String ch = new String(Character.toChars(cp));
            Integer id = ids.get(ch);
            if (id != null) {
                tokens.add(id);
                return;
            }
            for (byte b : ch.getBytes(StandardCharsets.UTF_8)) {
                tokens.add((b & 0xFF) + FIRST_BYTE_TOKEN);
            }
        });

        // merge the best-scoring adjacent pair until no pair forms a known piece
        while (true) {
            float best = Float.NEGATIVE_INFINITY;
            int bestAt = -1;
            int bestId = -1;
            for (int i = 0; i + 1 < tokens.size(); i++) {
                Integer merged = ids.get(pieces[tokens.get(i)] + pieces[tokens.get(i + 1)]);
                if (merged != null && scores[merged] > best) {
                    best = scores[merged];
                    bestAt = i;
                    bestId = merged;
                }
            }
            if (bestAt < 0) {
                break;
            }
            tokens.set(bestAt, bestId);
            tokens.remove(bestAt + 1);
        }

        int[] out = new int[tokens.size() + (bos ? 1 : 0)];
        int n = 0;
        if (bos) {
            out[n++] = BOS;
        }
        for (int t : tokens) {
            out[n++] = t;
        }
        return out;
    }

    /**
     * Decodes {@code ids} to text: a piece right after BOS loses its leading space, byte
     * tokens {@code <0xHH>} become that byte, and the bytes are read as UTF-8.
     *
     * @throws IllegalArgumentException if an ID is outside [0, V)
     */
    String decode(int[] ids) {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        int prev = -1;
        for (int id : ids) {
            if (id < 0 || id >= pieces.length) {
                throw new IllegalArgumentException("decode: token " + id + " outside [0, "
                        + pieces.length + ")");
            }
            if (id == BOS || id == EOS) {
                prev = id;
                continue;
            }
            byte[] piece = pieceBytes[id];
            String s = pieces[id];
            if (isByteToken(s)) {
                text.write(HexFormat.fromHexDigits(s, 3, 5));
            } else if (prev == BOS && piece.length > 0 && piece[0] == ' ') {
                text.write(piece, 1, piece.length - 1);
            } else {
                text.write(piece, 0, piece.length);
            }
            prev = id;
        }
        return text.toString(StandardCharsets.UTF_8);
    }

    private static boolean isByteToken(String s) {
        return s.length() == 6 && s.startsWith("<0x") && s.endsWith(">")
                && HexFormat.isHexDigit(s.charAt(3)) && HexFormat.isHexDigit(s.charAt(4));
    }
}
