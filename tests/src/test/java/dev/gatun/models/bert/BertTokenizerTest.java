package dev.gatun.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * BertTokenizer on all-MiniLM-L6-v2's tokenizer.json (bert-base-uncased's WordPiece
 * vocabulary): IDs, truncation, sharing between threads, closing.
 */
class BertTokenizerTest {
    static final String RESOURCE = "all-minilm-l6-v2-tokenizer.json";

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
}
