package dev.gatun.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gatun.Backend;
import dev.gatun.Backends;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.models.llama.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link Llama2cCheckpoint#open} on arbitrary bytes: either the file opens, every weight has
 * the shape its config implies and reads back whole, the model builds over it and runs one
 * token (whatever values the weights hold, NaN included), or a {@link ModelFormatException}
 * names the file. Any other exception, a hang or a crash is a finding.
 *
 * <p>Regression inputs (a tiny valid checkpoint with a shared and one with its own
 * classifier, and one file per header rule, broken) are committed under
 * {@code src/test/resources/dev/gatun/io/Llama2cCheckpointFuzzTestInputs/openArbitraryBytes};
 * the {@code fuzz-llama2c} execution of {@code tests/pom.xml} fuzzes from them for
 * {@code maxDuration}.
 */
class Llama2cCheckpointFuzzTest {
    /** The model runs a token only when it is this small, to keep executions fast. */
    private static final long MAX_WEIGHTS = 1 << 16;

    private static Path dir;
    private static Backend backend;

    @BeforeAll
    static void setUp() throws IOException {
        dir = FuzzFiles.tempDir("gatun-fuzz-llama2c");
        backend = Backends.defaultBackend();
    }

    @AfterAll
    static void deleteDir() throws IOException {
        FuzzFiles.deleteTree(dir);
    }

    @FuzzTest(maxDuration = "30s")
    void openArbitraryBytes(byte[] bytes) throws IOException {
        Path file = Files.write(dir.resolve("input.bin"), bytes);
        try (Scope scope = Scope.open()) {
            Llama2cCheckpoint ckpt;
            try {
                ckpt = Llama2cCheckpoint.open(file, scope);
            } catch (ModelFormatException e) {
                FuzzFiles.assertNamesFile(e, file);
                return;
            }

            // every weight has the shape the config implies and lies inside the file
            HfConfig config = ckpt.config();
            Map<String, long[]> shapes = LlamaWeights.expectedShapes(config);
            assertEquals(shapes.keySet(), ckpt.names());
            long weights = 0;
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                Tensor t = ckpt.get(e.getKey());
                assertArrayEquals(e.getValue(), t.shape(), e.getKey());
                assertEquals(t.numel(), t.toFloatArray().length, e.getKey());
                weights += t.numel();
            }

            // a file that opens builds a model; a small one runs one token
            LlamaModel model = LlamaModel.load(ckpt);
            if (weights <= MAX_WEIGHTS) {
                Ops ops = new Ops(backend, scope);
                Tensor logits = model.forward(ops, new int[] {config.vocabSize() - 1});
                assertArrayEquals(new long[] {1, config.vocabSize()}, logits.shape());
            }
        }
    }
}
