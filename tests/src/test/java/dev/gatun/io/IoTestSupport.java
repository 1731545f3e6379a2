package dev.gatun.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.function.Executable;

/** Shared helpers of the io tests: fixtures, hand-made files, error assertions. */
final class IoTestSupport {
    private IoTestSupport() {}

    /** ../shared, or a skipped test with the reason when it is absent. */
    static Path sharedFile(String relative) {
        String dir = System.getProperty("gatun.shared.dir");
        Assumptions.assumeTrue(dir != null, "system property gatun.shared.dir is not set");
        Path file = Path.of(dir).resolve(relative);
        Assumptions.assumeTrue(Files.isRegularFile(file), "shared fixture " + file
                + " is absent (a fresh clone has no ../shared)");
        return file;
    }

    /**
     * A safetensors file written byte by byte: the length prefix {@code headerLength}, the
     * header text, then {@code data}. The header is written as given, unpadded.
     */
    static Path rawSafetensors(Path file, long headerLength, String header, byte[] data)
            throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + data.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(json).put(data);
        Files.write(file, b.array());
        return file;
    }

    /** As above with the true header length. */
    static Path rawSafetensors(Path file, String header, byte[] data) throws IOException {
        return rawSafetensors(file, header.getBytes(StandardCharsets.UTF_8).length, header,
                data);
    }

    /** Little-endian bytes of {@code values}. */
    static byte[] floatBytes(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /**
     * Runs {@code body}, expects a {@link ModelFormatException} whose message contains every
     * one of {@code fragments}, and returns it.
     */
    static ModelFormatException assertFormatError(Executable body, String... fragments) {
        ModelFormatException e = assertThrows(ModelFormatException.class, body);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage()
                    + "' should contain '" + f + "'");
        }
        return e;
    }
}
