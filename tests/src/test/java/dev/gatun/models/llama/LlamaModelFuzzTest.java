package dev.gatun.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gatun.Backend;
import dev.gatun.Backends;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.backend.JavaBackend;
import dev.gatun.io.Llama2cCheckpoint;
import dev.gatun.nn.KVCache;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Llama models of every small shape, with weights of any bits (NaN, infinities, huge), built
 * from a llama2.c checkpoint and run: a prefill without a cache, a prefill into a cache and
 * decoding steps after it. Where {@code Llama2cCheckpointFuzzTest} feeds the reader raw
 * bytes (which rarely have exactly the size their header implies), this one derives a
 * consistent header from the input: head dim D in 2..8, Hkv in 1..3 heads of key/value, H a
 * multiple of Hkv up to 3 Hkv, F in 1..40, L in 1..3, V in 1..64 with a shared or an own
 * classifier, seq_len in 1..16, and fills the weights with the input's bytes. Such a file
 * must open and build; running it may only give logits of the right shape, never an
 * exception, a hang or a crash. Every input runs on the Java backend, one in eight also on
 * the native one.
 *
 * <p>Regression inputs are committed under
 * {@code src/test/resources/dev/gatun/models/llama/LlamaModelFuzzTestInputs/}; the
 * {@code fuzz-llama-model} execution of tests/pom.xml fuzzes from them.
 */
class LlamaModelFuzzTest {
    private static Path dir;
    private static Backend java;
    private static Backend nativeBackend;

    @BeforeAll
    static void setUp() throws IOException {
        Path shm = Path.of("/dev/shm");
        dir = Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "gatun-fuzz-llama")
                : Files.createTempDirectory("gatun-fuzz-llama");
        java = new JavaBackend();
        nativeBackend = Backends.list().stream()
                .anyMatch(i -> i.name().equals("native") && i.usable())
                ? Backends.get("native") : null;
    }

    @AfterAll
    static void deleteDir() throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @FuzzTest(maxDuration = "30s")
    void anyConsistentCheckpointBuildsAndRuns(byte[] input) throws IOException {
        if (input.length < 12) {
            return; // too few bytes to choose a shape: the reader's fuzz test covers them
        }
        int d = 2 * (1 + u(input[0]) % 4);
        int kvHeads = 1 + u(input[1]) % 3;
        int heads = kvHeads * (1 + u(input[2]) % 3);
        int dim = heads * d;
        int hidden = 1 + u(input[3]) % 40;
        int layers = 1 + u(input[4]) % 3;
        int vocab = 1 + u(input[5]) % 64;
        boolean shared = (input[6] & 1) == 0;
        int seqLen = 1 + u(input[7]) % 16;
        int promptLength = 1 + u(input[8]) % Math.min(seqLen, 4);
        int[] prompt = new int[promptLength];
        for (int i = 0; i < promptLength; i++) {
            prompt[i] = u(input[9 + i % 3]) % vocab;
        }

        // llama2.c's layout: 7 int32, then the F32 arrays, filled from the input's bytes
        long floats = (long) vocab * dim * (shared ? 1 : 2) + (long) layers * dim * 2
                + (long) layers * dim * dim * 2 + 2L * layers * kvHeads * d * dim
                + 3L * layers * hidden * dim + dim + (long) seqLen * d;
        ByteBuffer file = ByteBuffer.allocate(Math.toIntExact(28 + 4 * floats))
                .order(ByteOrder.LITTLE_ENDIAN);
        file.putInt(dim).putInt(hidden).putInt(layers).putInt(heads).putInt(kvHeads)
                .putInt(shared ? vocab : -vocab).putInt(seqLen);
        int body = input.length - 12; // zeros when the input has no bytes left
        for (int i = 0; body > 0 && file.hasRemaining(); i++) {
            file.put(input[12 + i % body]);
        }
        Path path = Files.write(dir.resolve("model.bin"), file.array());

        String what = "D=" + d + ", H=" + heads + ", Hkv=" + kvHeads + ", F=" + hidden
                + ", L=" + layers + ", V=" + vocab + (shared ? " shared" : " own")
                + ", seq_len=" + seqLen + ", prompt " + promptLength;
        try (Scope weights = Scope.open()) {
            LlamaModel model = LlamaModel.load(Llama2cCheckpoint.open(path, weights));
            run(model, java, prompt, what);
            // the native backend builds oneDNN primitives for every new shape (slow): one
            // input in eight
            if (nativeBackend != null && (input[6] & 0x0E) == 0) {
                run(model, nativeBackend, prompt, what);
            }
        }
    }

    /** Every way of running the model; only shapes are checked (the weights are noise). */
    private static void run(LlamaModel model, Backend backend, int[] prompt, String shape) {
        int promptLength = prompt.length;
        int vocab = model.config().vocab();
        int seqLen = model.config().maxPositions();
        String what = shape + ", backend " + backend.name();
        try (Scope run = Scope.open()) {
            Ops ops = new Ops(backend, run);

            Tensor all = model.forward(ops, prompt);
            assertArrayEquals(new long[] {promptLength, vocab}, all.shape(), what);
            assertEquals(promptLength * vocab, all.toFloatArray().length, what);

            // the same prompt through a cache, then decoding to the end of the context
            KVCache cache = model.newCache(ops, seqLen);
            Tensor last = model.forward(ops, cache, prompt, 0);
            assertArrayEquals(all.shape(), last.shape(), what);
            for (int pos = promptLength; pos < seqLen; pos++) {
                Tensor step = model.forward(ops, cache, new int[] {pos % vocab}, pos);
                assertArrayEquals(new long[] {1, vocab}, step.shape(), what);
            }
            int[] generated = model.generate(backend, prompt, seqLen - promptLength,
                    Sampler.greedy(), -1, t -> true);
            assertTrue(generated.length <= seqLen - promptLength, what);
            for (int t : generated) {
                assertTrue(t >= 0 && t < vocab, what + ": token " + t);
            }
        }
    }

    private static int u(byte b) {
        return b & 0xFF;
    }
}
