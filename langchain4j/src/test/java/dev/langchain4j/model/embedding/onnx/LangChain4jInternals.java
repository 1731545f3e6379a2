package dev.langchain4j.model.embedding.onnx;

import java.util.List;

/**
 * Reaches LangChain4j's package-private window split, so that the tests compare Gatun's copy
 * of the rule with the original (class path only: LangChain4j's jars are not modules).
 */
public final class LangChain4jInternals {
    private LangChain4jInternals() {}

    /** {@code OnnxBertBiEncoder.partition}: word pieces between [CLS] and [SEP] in windows. */
    public static List<List<String>> partition(List<String> tokens, int size) {
        return OnnxBertBiEncoder.partition(tokens, size);
    }
}
