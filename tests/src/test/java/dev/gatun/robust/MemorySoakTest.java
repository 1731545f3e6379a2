package dev.gatun.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatun.Backend;
import dev.gatun.Backends;
import dev.gatun.MemoryStats;
import dev.gatun.backend.NativeBackend;
import dev.gatun.models.bert.MiniLm;
import dev.gatun.models.bert.SentenceEmbedder;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A bounded soak: MiniLM embeds random batches (1 to 8 texts of 1 to 300 words, so every
 * sequence length up to the 256-token truncation comes by) and the results are read back, in
 * a loop for {@code gatun.soak.seconds} (30 by default). Memory must come back:
 * <ul>
 *   <li>after every batch, {@link MemoryStats#liveHostBytes()} is exactly the weights' bytes
 *       (every scope a batch opened is closed), and no native per-call buffer is alive;
 *   <li>after a warm-up of a quarter of the time, the process's resident memory outside the
 *       Java heap ({@code VmRSS} of /proc/self/status less the committed heap) grows by at
 *       most {@value #MAX_GROWTH_MIB} MiB, and the native scratch by at most
 *       {@value #MAX_SCRATCH_GROWTH_MIB} MiB;
 *   <li>closing the embedder brings {@link MemoryStats#liveHostBytes()} back to where it was
 *       before loading.
 * </ul>
 * The {@code soak} execution of tests/pom.xml runs this in a JVM with a fixed, pre-touched
 * heap so that the resident size moves only with native memory.
 */
class MemorySoakTest {
    static final long MAX_GROWTH_MIB = 64;
    static final long MAX_SCRATCH_GROWTH_MIB = 16;
    private static final long MIB = 1 << 20;
    private static final System.Logger LOG = System.getLogger(MemorySoakTest.class.getName());

    /** One measurement of the process. */
    record Sample(long rss, long heapCommitted, long scratchBytes, long scratchThreads) {
        long offHeap() {
            return rss - heapCommitted;
        }

        @Override
        public String toString() {
            return "RSS " + rss / MIB + " MiB (heap " + heapCommitted / MIB + " MiB, outside it "
                    + offHeap() / MIB + " MiB), native scratch " + scratchBytes / MIB
                    + " MiB in " + scratchThreads + " threads";
        }
    }

    @Test
    void embeddingInALoopGivesBackEveryByte() {
        assumeTrue(MiniLm.isAvailable(), MiniLm.ARTIFACT + " is not on the test class path");
        Backend backend = Backends.defaultBackend();
        boolean nativeBackend = backend instanceof NativeBackend;
        double seconds = Double.parseDouble(System.getProperty("gatun.soak.seconds", "30"));
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        String context = "seed " + seed + ", backend " + backend.name();

        long beforeLoad = MemoryStats.liveHostBytes();
        Sample warm = null;
        Sample end;
        int batches = 0;
        long texts = 0;
        try (SentenceEmbedder minilm = MiniLm.load(backend)) {
            long weights = MemoryStats.liveHostBytes();
            long start = System.nanoTime();
            long warmUpEnd = start + (long) (seconds * 0.25e9);
            long deadline = start + (long) (seconds * 1e9);
            while (System.nanoTime() < deadline) {
                List<String> batch = texts(rng, 1 + rng.nextInt(8));
                float[][] e = minilm.embed(batch);
                batches++;
                texts += batch.size();
                checkUnitVectors(e, context + ", batch " + batches);
                assertEquals(weights, MemoryStats.liveHostBytes(), context + ", batch "
                        + batches + ": host memory of the batch's scopes is still live");
                if (nativeBackend) {
                    assertEquals(0, NativeBackend.scratchStats().bufferBytes(), context
                            + ", batch " + batches + ": native per-call buffers are live");
                }
                if (warm == null && System.nanoTime() >= warmUpEnd) {
                    warm = sample(nativeBackend);
                }
            }
            end = sample(nativeBackend);
        }
        assertEquals(beforeLoad, MemoryStats.liveHostBytes(), context
                + ": closing the embedder frees its weights");
        assertTrue(warm != null && batches > 1, context + ": too few batches: " + batches);
        LOG.log(System.Logger.Level.INFO, "soak: {0} batches, {1} texts in {2} s; after"
                + " warm-up {3}; at the end {4}", batches, texts, seconds, warm, end);

        if (warm.rss() >= 0) {
            long growth = end.offHeap() - warm.offHeap();
            assertTrue(growth <= MAX_GROWTH_MIB * MIB, context + ": memory outside the heap"
                    + " grew by " + growth / MIB + " MiB after warm-up (at most "
                    + MAX_GROWTH_MIB + "): " + warm + " -> " + end);
        }
        long scratchGrowth = end.scratchBytes() - warm.scratchBytes();
        assertTrue(scratchGrowth <= MAX_SCRATCH_GROWTH_MIB * MIB, context + ": native scratch"
                + " grew by " + scratchGrowth / MIB + " MiB after warm-up: " + warm + " -> "
                + end);
    }

    /** Each embedding has 384 components of unit L2 norm. */
    static void checkUnitVectors(float[][] embeddings, String context) {
        for (float[] v : embeddings) {
            assertEquals(384, v.length, context);
            double norm = 0;
            for (float x : v) {
                norm += (double) x * x;
            }
            assertEquals(1, Math.sqrt(norm), 1e-4, context);
        }
    }

    static List<String> texts(Random rng, int n) {
        String[] words = {"the", "river", "quietly", "golden", "library", "café", "naïve",
                "seventeen", "window", "bright", "under", "mountain", "and", "of", "東京", "!"};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            for (int w = 1 + rng.nextInt(300); w > 0; w--) {
                sb.append(words[rng.nextInt(words.length)]).append(' ');
            }
            out.add(sb.toString());
        }
        return out;
    }

    static Sample sample(boolean nativeBackend) {
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
        NativeBackend.ScratchStats scratch = nativeBackend ? NativeBackend.scratchStats()
                : new NativeBackend.ScratchStats(0, 0, 0);
        return new Sample(rssBytes(), heap, scratch.scratchBytes(), scratch.scratchThreads());
    }

    /** VmRSS of /proc/self/status in bytes, or -1 where there is no such file. */
    static long rssBytes() {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    String kb = line.substring(6).replace("kB", "").strip();
                    return Long.parseLong(kb) * 1024;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + status, e);
        }
        return -1;
    }
}
