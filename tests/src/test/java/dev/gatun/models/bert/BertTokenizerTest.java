package dev.gatun.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * BertTokenizer on all-MiniLM-L6-v2's tokenizer.json (bert-base-uncased's WordPiece
 * vocabulary): IDs, truncation, sharing between threads, closing.
 */
class BertTokenizerTest {
    static final String RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    /** MiniLM's tokenizer.json with one more added token, of id {@code id}. */
    static byte[] withAddedToken(int id) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root;
        try (InputStream in = BertTokenizerTest.class.getClassLoader()
                .getResourceAsStream(RESOURCE)) {
            root = (ObjectNode) json.readTree(in);
        }
        ObjectNode token = ((ArrayNode) root.get("added_tokens")).addObject();
        token.put("id", id).put("content", "[EXTRA" + id + "]").put("single_word", false)
                .put("lstrip", false).put("rstrip", false).put("normalized", false)
                .put("special", true);
        return json.writeValueAsBytes(root);
    }

    static BertTokenizer open(int maxTokens) throws Exception {
        try (InputStream in = BertTokenizerTest.class.getClassLoader()
                .getResourceAsStream(RESOURCE)) {
            assertNotNull(in, RESOURCE + " must be on the test class path (minilm jar)");
            return BertTokenizer.fromJson(in, RESOURCE, maxTokens);
        }
    }

    @Test
    void encodesWithClsAndSepFromTheUncasedVocabulary() throws Exception {
        try (BertTokenizer tok = open(256)) {
            // bert-base-uncased: [CLS]=101, hello=7592, world=2088, !=999, [SEP]=102
            BertTokenizer.Tokens t = tok.encode("Hello World!");
            assertArrayEquals(new int[] {101, 7592, 2088, 999, 102}, t.ids());
            assertFalse(t.truncated());
            assertArrayEquals(new int[] {101, 102}, tok.encode("").ids());
            assertArrayEquals(new int[] {101, 102}, tok.encode(" \t\n ").ids());
        }
    }

    @Test
    void truncatesToMaxTokensKeepingSep() throws Exception {
        try (BertTokenizer tok = open(6)) {
            BertTokenizer.Tokens t = tok.encode("one two three four five six seven");
            // [CLS] one two three four [SEP]
            assertArrayEquals(new int[] {101, 2028, 2048, 2093, 2176, 102}, t.ids());
            assertTrue(t.truncated());
            BertTokenizer.Tokens exact = tok.encode("one two three four");
            assertEquals(6, exact.length());
            assertFalse(exact.truncated(), "a text of exactly maxTokens is not cut");
        }
    }

    @Test
    void rejectsTooSmallMaxTokensAndBadJson() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> open(1));
        assertTrue(small.getMessage().contains("got 1"), small.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> BertTokenizer.fromJson(new ByteArrayInputStream(
                        "{\"not\": \"a tokenizer\"}".getBytes(StandardCharsets.UTF_8)),
                        "bad.json", 16));
        assertTrue(bad.getMessage().contains("bad.json"), bad.getMessage());
    }

    @Test
    void encodeAfterCloseFailsCleanly() throws Exception {
        BertTokenizer tok = open(16);
        tok.close();
        tok.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> tok.encode("hello"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void sharedBetweenThreadsGivesTheSameIdsAsOneThread() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        String[] words = {"the", "cat", "sat", "on", "mat", "naïve", "café", "東京", "😀",
            "!"};
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            StringBuilder sb = new StringBuilder();
            for (int w = random.nextInt(40); w > 0; w--) {
                sb.append(words[random.nextInt(words.length)]).append(' ');
            }
            texts.add(sb.toString());
        }
        try (BertTokenizer tok = open(32)) {
            List<int[]> expected = texts.stream().map(s -> tok.encode(s).ids()).toList();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<int[]>> got = new ArrayList<>();
                for (String s : texts) {
                    got.add(pool.submit(() -> tok.encode(s).ids()));
                }
                for (int i = 0; i < texts.size(); i++) {
                    assertArrayEquals(expected.get(i), got.get(i).get(),
                            "seed " + seed + ", text " + i + ": " + texts.get(i));
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void vocabSizeCountsTheVocabularyAndTheAddedTokens() throws Exception {
        try (BertTokenizer tok = open(16)) {
            assertEquals(30522, tok.vocabSize(), "bert-base-uncased's WordPiece vocabulary");
            assertEquals(RESOURCE, tok.source());
        }
        try (BertTokenizer tok = BertTokenizer.fromJson(new ByteArrayInputStream(
                withAddedToken(30600)), "bigger.json", 8)) {
            assertEquals(30601, tok.vocabSize(), "an added token's id counts");
        }
    }

    /**
     * Eight threads encode while another closes the shared tokenizer: every encode either
     * returns exactly the single-threaded IDs (it ran before the close, which waited for it)
     * or fails with IllegalStateException naming the closed tokenizer; none crashes.
     */
    @Test
    void closingWhileThreadsEncodeWaitsForThemThenRefuses() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            texts.add("text " + i + " " + "café naïve 東京 ".repeat(random.nextInt(20)));
        }
        BertTokenizer tok = open(64);
        List<int[]> expected = texts.stream().map(s -> tok.encode(s).ids()).toList();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch started = new CountDownLatch(8);
        AtomicBoolean sawClosed = new AtomicBoolean();
        try {
            List<Future<Integer>> encoded = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                encoded.add(pool.submit(() -> {
                    started.countDown();
                    int n = 0;
                    for (int round = 0; ; round++) {
                        int i = round % texts.size();
                        try {
                            assertArrayEquals(expected.get(i), tok.encode(texts.get(i)).ids(),
                                    "seed " + seed + ", text " + i);
                            n++;
                        } catch (IllegalStateException e) {
                            assertTrue(e.getMessage().contains("closed"), e.getMessage());
                            sawClosed.set(true);
                            return n;
                        }
                    }
                }));
            }
            started.await();
            Thread.sleep(50);
            tok.close();
            int total = 0;
            for (Future<Integer> f : encoded) {
                total += f.get();
            }
            assertTrue(total > 0 && sawClosed.get(), "encodes before the close: " + total);
            assertThrows(IllegalStateException.class, () -> tok.encode("after"));
        } finally {
            pool.shutdownNow();
            tok.close();
        }
    }
}
