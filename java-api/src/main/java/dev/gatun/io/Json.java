package dev.gatun.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The one Jackson mapper of this package: strict on input, indented on output. */
final class Json {
    /**
     * Rejects duplicate keys (a second "dtype" must not silently win) and anything after the
     * top-level value; reads NaN/Infinity, which Python's json module writes.
     */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private Json() {}

    /**
     * Parses {@code bytes} as one JSON object.
     *
     * @throws ModelFormatException naming {@code source} and {@code what} if the bytes are not
     *     valid JSON or not an object
     */
    static JsonNode parseObject(String source, String what, byte[] bytes) {
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new ModelFormatException(source, null, what + " is not valid JSON: "
                    + originalMessage(e), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(source, what + " must be a JSON object, found "
                    + (root == null ? "nothing" : root.getNodeType()));
        }
        return root;
    }

    /** Reads a whole file; {@code op} names the caller in the message of a failure. */
    static byte[] readAll(String op, Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(op + ": cannot read " + file + ": " + e.getMessage(),
                    e);
        }
    }

    /** Jackson's message without the location suffix it appends. */
    static String originalMessage(IOException e) {
        return e instanceof JacksonException j ? j.getOriginalMessage() : e.getMessage();
    }
}
