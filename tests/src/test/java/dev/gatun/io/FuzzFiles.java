package dev.gatun.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Helpers of the fuzz tests of the model-file readers. */
final class FuzzFiles {
    private FuzzFiles() {}

    /** The error names the file it is about, in its message and in {@link #file()}. */
    static void assertNamesFile(ModelFormatException e, Path file) {
        assertEquals(file.toString(), e.file(), e.getMessage());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }

    /**
     * A new temporary folder, in memory (/dev/shm) where there is one: every execution writes
     * and maps files, and the writer syncs them to disk, which would dominate the time.
     */
    static Path tempDir(String prefix) throws IOException {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, prefix)
                : Files.createTempDirectory(prefix);
    }

    static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
