package dev.gatun.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatun.Backends;
import dev.gatun.models.bert.MiniLm;
import dev.gatun.models.bert.SentenceEmbedder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The README's inference example runs, from many threads, and is the code the README shows. */
class SemanticSearchTest {
    static final List<String> DOCS = List.of(
            "The cat sits on the mat.",
            "Stock markets fell sharply after the announcement.",
            "The recipe needs two eggs and a cup of flour.",
            "The train to Paris leaves at nine.");
    static final List<String> QUERIES = List.of(
            "A feline rests on a rug.", "Shares dropped today.", "How do I bake a cake?",
            "When does the railway depart for France?");

    @Test
    void servesManyThreadsWithOneModel() throws Exception {
        List<Future<float[]>> scores = new ArrayList<>();
        List<Future<String>> nearest = new ArrayList<>();
        try (SemanticSearch search = new SemanticSearch(Backends.defaultBackend(), DOCS);
             ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int round = 0; round < 6; round++) {
                for (String query : QUERIES) {
                    scores.add(pool.submit(() -> search.scores(query)));
                    nearest.add(pool.submit(() -> search.nearest(query)));
                }
            }
            for (int i = 0; i < nearest.size(); i++) {
                int q = i % QUERIES.size();
                assertEquals(DOCS.get(q), nearest.get(i).get(), "query '" + QUERIES.get(q)
                        + "'");
            }
        }

        // reference: float64 dot products of the embeddings, computed apart from the example
        try (SentenceEmbedder minilm = MiniLm.load(Backends.defaultBackend())) {
            float[][] d = minilm.embed(DOCS);
            for (int i = 0; i < scores.size(); i++) {
                float[] q = minilm.embed(QUERIES.get(i % QUERIES.size()));
                float[] got = scores.get(i).get();
                for (int j = 0; j < DOCS.size(); j++) {
                    double want = 0;
                    for (int k = 0; k < q.length; k++) {
                        want += (double) q[k] * d[j][k];
                    }
                    assertEquals(want, got[j], 1e-5, "call " + i + ", document " + j);
                }
            }
        }
    }

    @Test
    void theReadmeShowsThisCode() throws IOException {
        Path readme = Path.of("..", "README.md");
        Path source = Path.of("src", "test", "java", "dev", "gatun", "examples",
                "SemanticSearch.java");
        assumeTrue(Files.isRegularFile(readme) && Files.isRegularFile(source),
                "runs from the tests module folder (user.dir " + Path.of("").toAbsolutePath()
                        + ")");
        String text = Files.readString(readme);
        int start = text.indexOf("## Embedding in inference code");
        assertTrue(start >= 0, "README has no 'Embedding in inference code' section");
        int end = text.indexOf("\n## ", start + 1);
        List<String> blocks = javaBlocks(text.substring(start, end));
        assertEquals(2, blocks.size(), "the class, then its use");
        assertShown(blocks.get(0), source);
        assertShown(blocks.get(1), source.resolveSibling("SemanticSearchTest.java"));
    }

    static List<String> javaBlocks(String section) {
        List<String> blocks = new ArrayList<>();
        for (int open = section.indexOf("```java\n"); open >= 0;
                open = section.indexOf("```java\n", open + 1)) {
            blocks.add(section.substring(open + 8, section.indexOf("```", open + 8)));
        }
        return blocks;
    }

    /** Each line shown, but "...", is a line of {@code file} (indentation aside). */
    static void assertShown(String block, Path file) throws IOException {
        List<String> shown = block.lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.equals("...")).toList();
        List<String> code = Files.readAllLines(file).stream().map(String::strip).toList();
        assertTrue(shown.size() >= 3, "the example is shown: " + shown);
        for (String line : shown) {
            assertTrue(code.contains(line), "README line not in " + file.getFileName() + ": "
                    + line);
        }
    }
}
