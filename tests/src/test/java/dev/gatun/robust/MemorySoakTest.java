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
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A bounded soak: MiniLM embeds {@value #BATCHES} random batches (1 to 8 texts of 1 to 300
 * words, so sequence lengths up to the 256-token truncation) over and over, reading the
 * results back, for {@code gatun.soak.seconds} (30 by default). The same batches come back
 * every cycle, so after a warm-up (two cycles and a quarter of the time) the process is in a
 * steady state where any growth is a leak; the loop runs at least three cycles. Memory must
 * come back:
 * <ul>
 *   <li>after every batch, {@link MemoryStats#liveHostBytes()} is exactly the weights' bytes
 *       (every scope a batch opened is closed), and no native per-call buffer is alive;
 *   <li>after the warm-up, no new oneDNN primitive is built (the cache holds every shape),
 *       the native scratch grows by at most {@value #MAX_SCRATCH_GROWTH_MIB} MiB, and the
 *       process's resident memory outside the JVM's own pools ({@code VmRSS} of
 *       /proc/self/status less the committed heap and non-heap) by at most
 *       {@value #MAX_GROWTH_MIB} MiB;
 *   <li>closing the embedder brings {@link MemoryStats#liveHostBytes()} back to where it was
 *       before loading.
 * </ul>
 * The {@code soak} execution of tests/pom.xml runs this in a JVM with a fixed, pre-touched
 * heap so that the resident size moves only with native memory.
 */
class MemorySoakTest {
    static final int BATCHES = 16;
    static final long MAX_GROWTH_MIB = 32;
    static final long MAX_SCRATCH_GROWTH_MIB = 16;
    private static final long MIB = 1 << 20;
    private static final System.Logger LOG = System.getLogger(MemorySoakTest.class.getName());

    /** One measurement of the process. */
    record Sample(long rss, long jvmPools, long scratchBytes, long scratchThreads,
                  long primitives) {
        /** Resident bytes outside the JVM's heap and non-heap pools. */
        long outsideJvm() {
            return rss - jvmPools;
        }

        @Override
        public String toString() {
            return "RSS " + rss / MIB + " MiB (JVM heap and non-heap " + jvmPools / MIB
                    + " MiB, outside them " + outsideJvm() / MIB + " MiB), native scratch "
                    + scratchBytes / 1024 + " KiB in " + scratchThreads + " threads, "
                    + primitives + " oneDNN primitives built";
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

        List<List<String>> work = new ArrayList<>();
        for (int i = 0; i < BATCHES; i++) {
            work.add(texts(rng, 1 + rng.nextInt(8)));
        }

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
            // at least three cycles, however slow the machine: two to warm up, one to watch
            while (System.nanoTime() < deadline || batches < 3 * BATCHES) {
                List<String> batch = work.get(batches % BATCHES);
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
                boolean warmedUp = batches >= 2 * BATCHES && System.nanoTime() >= warmUpEnd;
                if (warm == null && warmedUp) {
                    warm = sample(nativeBackend);
                }
            }
            end = sample(nativeBackend);
        }
        assertEquals(beforeLoad, MemoryStats.liveHostBytes(), context
                + ": closing the embedder frees its weights");
        assertTrue(warm != null, context + ": no sample after the warm-up");
        LOG.log(System.Logger.Level.INFO, "soak: {0} batches, {1} texts in {2} s; after"
                + " warm-up {3}; at the end {4}", batches, texts, seconds, warm, end);

        assertEquals(warm.primitives(), end.primitives(), context + ": oneDNN primitives"
                + " were built after warm-up, for shapes seen before: " + warm + " -> " + end);
        if (warm.rss() >= 0) {
            long growth = end.outsideJvm() - warm.outsideJvm();
            assertTrue(growth <= MAX_GROWTH_MIB * MIB, context + ": memory outside the JVM's"
                    + " pools grew by " + growth / MIB + " MiB after warm-up (at most "
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
        MemoryMXBean jvm = ManagementFactory.getMemoryMXBean();
        long pools = jvm.getHeapMemoryUsage().getCommitted()
                + jvm.getNonHeapMemoryUsage().getCommitted();
        NativeBackend.ScratchStats scratch = nativeBackend ? NativeBackend.scratchStats()
                : new NativeBackend.ScratchStats(0, 0, 0);
        long primitives = nativeBackend ? NativeBackend.cacheStats().created() : 0;
        return new Sample(rssBytes(), pools, scratch.scratchBytes(), scratch.scratchThreads(),
                primitives);
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
