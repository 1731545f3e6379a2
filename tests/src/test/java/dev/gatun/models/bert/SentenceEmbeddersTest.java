package dev.gatun.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatun.Backend;
import dev.gatun.Backends;
import dev.gatun.MemoryStats;
import dev.gatun.io.ModelFormatException;
import dev.gatun.io.OnnxToHfConverter;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tokenizer that does not belong to the model: one whose vocabulary has more ids than the
 * model's word embedding has rows is refused when the embedder is built, with a
 * {@link ModelFormatException} naming the tokenizer's file and both sizes, instead of an
 * embedding error on the first text that happens to use a missing id.
 */
class SentenceEmbeddersTest {
    static final int MINILM_VOCAB = 30522;

    static Backend backend() {
        assumeTrue(MiniLm.isAvailable(), MiniLm.ARTIFACT + " is not on the test class path");
        return Backends.defaultBackend();
    }

    static void assertTooBig(ModelFormatException e, String file, int tokenizerIds) {
        assertEquals(file, e.file(), e.getMessage());
        for (String part : new String[] {file, tokenizerIds + " token ids",
                "V=" + MINILM_VOCAB, "vocab_size"}) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' expected in: "
                    + e.getMessage());
        }
    }

    @Test
    void aTokenizerWithMoreIdsThanTheEmbeddingTableIsRefused() throws Exception {
        Backend backend = backend();
        try (SentenceEmbedder minilm = MiniLm.load(backend, 64);
             BertTokenizer bigger = BertTokenizer.fromJson(new ByteArrayInputStream(
                     BertTokenizerTest.withAddedToken(MINILM_VOCAB)), "bigger-tokenizer.json",
                     64)) {
            assertEquals(MINILM_VOCAB, minilm.tokenizer().vocabSize(), "the exact fit loads");
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> new SentenceEmbedder(bigger, minilm.model(), backend, "bigger",
                            null));
            assertTooBig(e, "bigger-tokenizer.json", MINILM_VOCAB + 1);
        }
    }

    @Test
    void anHfFolderWhoseTokenizerIsBiggerFailsToLoadAndFreesWhatItLoaded(@TempDir Path dir)
            throws Exception {
        Backend backend = backend();
        Path folder = dir.resolve("minilm-hf");
        OnnxToHfConverter.convertMiniLm(folder);
        Path tokenizer = folder.resolve("tokenizer.json");
        Files.write(tokenizer, BertTokenizerTest.withAddedToken(40_000));

        long before = MemoryStats.liveHostBytes();
        assertTooBig(assertThrows(ModelFormatException.class,
                () -> SentenceEmbedders.fromFolder(folder, backend, 128)),
                tokenizer.toString(), 40_001);
        assertTooBig(assertThrows(ModelFormatException.class,
                () -> SentenceEmbedders.open(folder.toString(), backend, 128)),
                tokenizer.toString(), 40_001);
        assertEquals(before, MemoryStats.liveHostBytes(), "a failed load keeps nothing");
    }
}
