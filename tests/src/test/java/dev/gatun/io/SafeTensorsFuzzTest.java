package dev.gatun.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gatun.DType;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link SafeTensors#open} on arbitrary bytes: the only outcomes allowed are a file that
 * opens, whose every tensor reads back and survives a write and a reopen unchanged, or a
 * {@link ModelFormatException} naming the file. Any other exception, a hang or a crash is a
 * finding.
 *
 * <p>Every build runs this in Jazzer's regression mode over the committed inputs in
 * {@code src/test/resources/dev/gatun/io/SafeTensorsFuzzTestInputs/openArbitraryBytes}
 * (valid files of every dtype, and one file per rule of the format, broken); the
 * {@code fuzz-safetensors} execution of {@code tests/pom.xml} then fuzzes it, starting from
 * those inputs, for {@code maxDuration}. A crashing input Jazzer finds is written into that
 * folder, where it stays as a regression input once the bug is fixed.
 */
class SafeTensorsFuzzTest {
    private static Path dir;

    @BeforeAll
    static void createDir() throws IOException {
        dir = FuzzFiles.tempDir("gatun-fuzz-safetensors");
    }

    @AfterAll
    static void deleteDir() throws IOException {
        FuzzFiles.deleteTree(dir);
    }

    @FuzzTest(maxDuration = "30s")
    void openArbitraryBytes(byte[] bytes) throws IOException {
        Path file = Files.write(dir.resolve("input.safetensors"), bytes);
        try (Scope scope = Scope.open()) {
            SafeTensors st;
            try {
                st = SafeTensors.open(file, scope);
            } catch (ModelFormatException e) {
                FuzzFiles.assertNamesFile(e, file);
                return;
            }

            // every supported tensor reads back whole; unsupported dtypes are refused by name
            Map<String, Tensor> readable = new TreeMap<>();
            for (String name : st.names()) {
                SafeTensors.Entry entry = st.entry(name);
                Tensor t;
                try {
                    t = st.get(name);
                } catch (ModelFormatException e) {
                    FuzzFiles.assertNamesFile(e, file);
                    assertEquals(name, e.tensor(), e.getMessage());
                    continue;
                }
                assertArrayEquals(entry.shape(), t.shape(), name);
                assertEquals(entry.end() - entry.begin(), t.numel() * t.dtype().byteSize(),
                        name);
                readEveryElement(t);
                if (!name.isEmpty()) {
                    readable.put(name, t); // write() refuses an empty name, as documented
                }
            }

            // what was read writes back and reopens with the same bytes
            Path copy = dir.resolve("copy.safetensors");
            SafeTensors.write(copy, readable, st.metadata());
            try (Scope again = Scope.open()) {
                SafeTensors reread = SafeTensors.open(copy, again);
                assertEquals(readable.keySet(), reread.names());
                assertEquals(st.metadata(), reread.metadata());
                for (Map.Entry<String, Tensor> e : readable.entrySet()) {
                    MemorySegment before = e.getValue().segment();
                    MemorySegment after = reread.get(e.getKey()).segment();
                    assertEquals(-1, before.mismatch(after), e.getKey());
                }
            }
        }
    }

    /** Touches every element, which would fault if the view reached outside the mapping. */
    private static void readEveryElement(Tensor t) {
        if (t.dtype() == DType.I32) {
            assertEquals(t.numel(), t.toIntArray().length);
        } else {
            assertEquals(t.numel(), t.toFloatArray().length);
        }
        assertTrue(t.isAlive());
    }
}
