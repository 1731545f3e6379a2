package dev.gatun.io;

import static dev.gatun.io.IoTestSupport.assertFormatError;
import static dev.gatun.io.IoTestSupport.floatBytes;
import static dev.gatun.io.IoTestSupport.rawSafetensors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatun.DType;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    // ---- round trips ------------------------------------------------------------------------

    @Test
    void writeThenOpenKeepsEveryDtypeShapeValueAndTheMetadata() throws IOException {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        Path file = dir.resolve("round.safetensors");
        try (Scope scope = Scope.open()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("z.f32", randomTensor(scope, rng, DType.F32, 3, 5));
            tensors.put("a.f16", randomTensor(scope, rng, DType.F16, 7));
            tensors.put("m.bf16", randomTensor(scope, rng, DType.BF16, 2, 3, 5));
            tensors.put("ids", Tensor.fromInts(scope, rng.ints(5).toArray(), 5));
            tensors.put("scalar", randomTensor(scope, rng, DType.F32));
            tensors.put("empty", Tensor.allocate(scope, DType.F32, 0, 4));
            // a strided view must be written as its logical (transposed) elements
            tensors.put("transposed", randomTensor(scope, rng, DType.F32, 4, 3)
                    .transpose(0, 1));
            Map<String, String> metadata = Map.of("format", "pt", "seed", "" + seed);

            SafeTensors.write(file, tensors, metadata);
            SafeTensors st = SafeTensors.open(file, scope);

            assertEquals(tensors.keySet().stream().sorted().toList(),
                    new ArrayList<>(st.names()), "seed=" + seed);
            assertEquals(metadata, st.metadata(), "seed=" + seed);
            Map<String, float[]> fromBytes = decodeIndependently(file);
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor expected = e.getValue();
                Tensor actual = st.get(e.getKey());
                String msg = e.getKey() + " seed=" + seed;
                assertEquals(expected.dtype(), actual.dtype(), msg);
                assertArrayEquals(expected.shape(), actual.shape(), msg);
                assertArrayEquals(expected.toFloatArray(), actual.toFloatArray(), msg);
                assertArrayEquals(expected.toFloatArray(), fromBytes.get(e.getKey()), msg);
            }
            assertArrayEquals(tensors.get("ids").toIntArray(), st.get("ids").toIntArray(),
                    "seed=" + seed);
        }
    }

    @Test
    void writerSortsNamesPadsTheHeaderToEightBytesAndLeavesNoGaps() throws IOException {
        Path file = dir.resolve("layout.safetensors");
        try (Scope scope = Scope.open()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("b", Tensor.fromFloats(scope, new float[] {1, 2, 3}, 3));
            tensors.put("a", Tensor.fromFloats(scope, DType.F16, new float[] {4}, 1));
            tensors.put("c", Tensor.fromInts(scope, new int[] {5, 6}, 2));
            SafeTensors.write(file, tensors);
        }
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + n) % 8, "data section must start 8-byte aligned, N=" + n);
        JsonNode header = new ObjectMapper().readTree(Arrays.copyOfRange(bytes, 8,
                (int) (8 + n)));
        assertEquals(List.of("a", "b", "c"), iterableToList(header.fieldNames()));
        assertEquals("[0,2]", header.get("a").get("data_offsets").toString());
        assertEquals("[2,14]", header.get("b").get("data_offsets").toString());
        assertEquals("[14,22]", header.get("c").get("data_offsets").toString());
        assertEquals(8 + n + 22, bytes.length);
        assertFalse(header.has("__metadata__"), "no metadata was given");
    }

    @Test
    void readsF32ThatStartsAtAnOddByteOffset() throws IOException {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        float[] values = new float[11];
        for (int i = 0; i < values.length; i++) {
            values[i] = rng.nextFloat() * 2 - 1;
        }
        // the mapping starts page-aligned, so an odd 8 + N puts the data at an odd address
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[11],\"data_offsets\":[0,44]}}";
        if ((8 + header.length()) % 2 == 0) {
            header += " ";
        }
        Path file = rawSafetensors(dir.resolve("odd.safetensors"), header, floatBytes(values));
        try (Scope scope = Scope.open()) {
            Tensor w = SafeTensors.open(file, scope).get("w");
            long address = w.segment().address();
            assertTrue(address % 4 != 0, "F32 data should be unaligned, address " + address);
            assertArrayEquals(values, w.toFloatArray(), "seed=" + seed);
            assertEquals(values[7], w.getFloat(7), "seed=" + seed);
        }
    }

    @Test
    void readsTheFixtureProducedByThePythonLibrary() {
        Path file = IoTestSupport.sharedFile(
                "fixtures/llama2c/stories260K-greedy-128.safetensors");
        try (Scope scope = Scope.open()) {
            SafeTensors st = SafeTensors.open(file, scope);
            Tensor tokens = st.get("tokens");
            Tensor logits = st.get("logits");
            assertEquals(DType.I32, tokens.dtype());
            assertArrayEquals(new long[] {128}, tokens.shape());
            assertArrayEquals(new long[] {128, 512}, logits.shape());
            int[] ids = tokens.toIntArray();
            assertEquals(1, ids[0], "BOS");
            // greedy decoding: each next token is the argmax of the previous logits
            float[] l = logits.toFloatArray();
            for (int p = 0; p + 1 < 128; p++) {
                int best = 0;
                for (int v = 1; v < 512; v++) {
                    if (l[p * 512 + v] > l[p * 512 + best]) {
                        best = v;
                    }
                }
                assertEquals(best, ids[p + 1], "position " + p);
            }
        }
    }

    @Test
    void tensorsDieWithTheirScope() throws IOException {
        Path file = rawSafetensors(dir.resolve("x.safetensors"),
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                floatBytes(3f));
        Tensor x;
        try (Scope scope = Scope.open()) {
            x = SafeTensors.open(file, scope).get("x");
            assertEquals(3f, x.getFloat(0));
        }
        assertFalse(x.isAlive());
        assertThrows(IllegalStateException.class, x::toFloatArray);
        Scope closed = Scope.open();
        closed.close();
        assertThrows(IllegalStateException.class, () -> SafeTensors.open(file, closed));
    }

    // ---- writer failures --------------------------------------------------------------------

    @Test
    void aFailedWriteLeavesNeitherAPartialTargetNorATemporaryFile() throws IOException {
        // the rename fails because the target is a non-empty directory
        Path target = dir.resolve("model.safetensors");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep"), "old");
        try (Scope scope = Scope.open()) {
            Tensor t = Tensor.fromFloats(scope, new float[] {1, 2}, 2);
            assertThrows(UncheckedIOException.class,
                    () -> SafeTensors.write(target, Map.of("t", t)));
        }
        assertEquals("old", Files.readString(target.resolve("keep")));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList(), "a temporary file was left behind");
        }
    }

    @Test
    void aRewriteReplacesTheOldFileWhole() throws IOException {
        Path file = dir.resolve("w.safetensors");
        try (Scope scope = Scope.open()) {
            SafeTensors.write(file, Map.of("old", Tensor.fromFloats(scope, new float[8], 8)));
            SafeTensors.write(file, Map.of("new", Tensor.fromFloats(scope,
                    new float[] {7}, 1)));
            SafeTensors st = SafeTensors.open(file, scope);
            assertEquals(List.of("new"), new ArrayList<>(st.names()));
            assertEquals(7f, st.get("new").getFloat(0));
        }
    }

    @Test
    void aWrittenFileHasThePermissionsOfAnyNewFile() throws IOException {
        Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews()
                .contains("posix"), "POSIX permissions only");
        Path plain = Files.createFile(dir.resolve("plain"));
        Path written = dir.resolve("written.safetensors");
        try (Scope scope = Scope.open()) {
            SafeTensors.write(written, Map.of("t", Tensor.fromFloats(scope, new float[1], 1)));
        }
        assertEquals(Files.getPosixFilePermissions(plain),
                Files.getPosixFilePermissions(written), "the umask decides, not the writer");
    }

    @Test
    void writerRejectsReservedAndEmptyNames() {
        try (Scope scope = Scope.open()) {
            Tensor t = Tensor.fromFloats(scope, new float[] {1}, 1);
            assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(
                    dir.resolve("a.safetensors"), Map.of("__metadata__", t)));
            assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(
                    dir.resolve("b.safetensors"), Map.of("", t)));
        }
        assertFalse(Files.exists(dir.resolve("a.safetensors")));
    }

    // ---- malformed files, one rule each -----------------------------------------------------

    @Test
    void rejectsAFileShorterThanTheLengthPrefix() throws IOException {
        Path file = Files.write(dir.resolve("short.safetensors"), new byte[] {1, 2, 3});
        assertFormatError(() -> open(file), "short.safetensors", "3 bytes");
    }

    @Test
    void rejectsAHeaderLengthBeyondTheFile() throws IOException {
        String header = "{}";
        Path file = rawSafetensors(dir.resolve("beyond.safetensors"), 1000, header,
                new byte[0]);
        assertFormatError(() -> open(file), "beyond.safetensors", "header length 1000",
                "file size 10");
    }

    @Test
    void rejectsAnAbsurdHeaderLengthBeforeAllocating() throws IOException {
        Path huge = rawSafetensors(dir.resolve("huge.safetensors"), 1L << 40, "{}",
                new byte[0]);
        assertFormatError(() -> open(huge), "huge.safetensors", "1099511627776",
                "exceeds the cap");
        // a u64 above 2^63 reads as a negative long: still reported unsigned
        Path negative = rawSafetensors(dir.resolve("neg.safetensors"), -1L, "{}", new byte[0]);
        assertFormatError(() -> open(negative), "18446744073709551615", "exceeds the cap");
    }

    @Test
    void rejectsAHeaderThatIsNotJson() throws IOException {
        Path file = rawSafetensors(dir.resolve("text.safetensors"), "{\"a\": [1, 2", new byte[0]);
        assertFormatError(() -> open(file), "text.safetensors", "header is not valid JSON");
        Path array = rawSafetensors(dir.resolve("array.safetensors"), "[1, 2]", new byte[0]);
        assertFormatError(() -> open(array), "header must be a JSON object", "ARRAY");
        Path dup = rawSafetensors(dir.resolve("dup.safetensors"),
                "{\"x\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],"
                        + "\"data_offsets\":[0,4]}}", floatBytes(1));
        assertFormatError(() -> open(dup), "Duplicate field 'dtype'");
    }

    @Test
    void rejectsAnUnknownDtypeAndRefusesUnsupportedOnesOnGet() throws IOException {
        Path unknown = rawSafetensors(dir.resolve("q4.safetensors"),
                "{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,1]}}", new byte[1]);
        assertFormatError(() -> open(unknown), "q4.safetensors", "tensor 'w'",
                "unknown dtype 'Q4'");

        Path f64 = rawSafetensors(dir.resolve("f64.safetensors"),
                "{\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                        + "\"f\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]}}",
                new byte[20]);
        try (Scope scope = Scope.open()) {
            SafeTensors st = SafeTensors.open(f64, scope);
            assertEquals("F64", st.entry("d").dtype());
            assertEquals(0f, st.get("f").getFloat(0));
            assertFormatError(() -> st.get("d"), "f64.safetensors", "tensor 'd'",
                    "unsupported dtype F64");
            assertFormatError(() -> st.get("nope"), "tensor 'nope'", "no such tensor");
        }
    }

    @Test
    void rejectsOffsetsPastTheDataSection() throws IOException {
        Path file = rawSafetensors(dir.resolve("range.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[8]);
        assertFormatError(() -> open(file), "range.safetensors", "tensor 'w'", "[4, 12]",
                "run past the data section of 8 bytes");
    }

    @Test
    void rejectsReversedOffsets() throws IOException {
        Path file = rawSafetensors(dir.resolve("rev.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", new byte[4]);
        assertFormatError(() -> open(file), "tensor 'w'", "[4, 0]", "reversed");
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        Path file = rawSafetensors(dir.resolve("overlap.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                new byte[12]);
        assertFormatError(() -> open(file), "overlap.safetensors", "tensor 'b'",
                "overlap tensor 'a'");
    }

    @Test
    void rejectsOffsetsThatDoNotMatchShapeTimesDtypeSize() throws IOException {
        Path file = rawSafetensors(dir.resolve("size.safetensors"),
                "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}",
                new byte[8]);
        assertFormatError(() -> open(file), "tensor 'w'", "hold 8 bytes",
                "shape [2, 3] of BF16 needs 12");
    }

    @Test
    void rejectsTruncatedData() throws IOException {
        Path whole = dir.resolve("whole.safetensors");
        try (Scope scope = Scope.open()) {
            SafeTensors.write(whole, Map.of("w", Tensor.allocate(scope, DType.F32, 4, 4)));
        }
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(dir.resolve("cut.safetensors"),
                Arrays.copyOf(bytes, bytes.length - 5));
        assertFormatError(() -> open(cut), "cut.safetensors", "tensor 'w'", "truncated");
    }

    @Test
    void rejectsGapsAndTrailingBytes() throws IOException {
        Path gap = rawSafetensors(dir.resolve("gap.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                new byte[12]);
        assertFormatError(() -> open(gap), "tensor 'b'", "bytes [4, 8)", "no gaps");
        Path tail = rawSafetensors(dir.resolve("tail.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[6]);
        assertFormatError(() -> open(tail), "tail.safetensors", "6 bytes", "cover only 4");
    }

    @Test
    void rejectsNegativeDimsAndNumelOverflow() throws IOException {
        Path negative = rawSafetensors(dir.resolve("negdim.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", new byte[0]);
        assertFormatError(() -> open(negative), "tensor 'w'", "shape must hold non-negative");
        Path overflow = rawSafetensors(dir.resolve("overflow.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                        + "\"data_offsets\":[0,0]}}", new byte[0]);
        assertFormatError(() -> open(overflow), "tensor 'w'", "more bytes than a long");
        Path fraction = rawSafetensors(dir.resolve("frac.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}",
                new byte[4]);
        assertFormatError(() -> open(fraction), "tensor 'w'", "shape must hold");
    }

    @Test
    void rejectsMalformedEntriesAndMetadata() throws IOException {
        Path noOffsets = rawSafetensors(dir.resolve("nooff.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]);
        assertFormatError(() -> open(noOffsets), "tensor 'w'", "data_offsets must be an array");
        Path meta = rawSafetensors(dir.resolve("meta.safetensors"),
                "{\"__metadata__\":{\"n\":3}}", new byte[0]);
        assertFormatError(() -> open(meta), "__metadata__ value for key 'n'", "NUMBER");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static void open(Path file) {
        try (Scope scope = Scope.open()) {
            SafeTensors.open(file, scope);
        }
    }

    private static Tensor randomTensor(Scope scope, Random rng, DType dtype, long... shape) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return Tensor.fromFloats(scope, dtype, v, shape);
    }

    /** Decodes every tensor of a file with a plain ByteBuffer, independent of SafeTensors. */
    private static Map<String, float[]> decodeIndependently(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) b.getLong(0);
        JsonNode header = new ObjectMapper().readTree(Arrays.copyOfRange(b.array(), 8, 8 + n));
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String name : iterableToList(header.fieldNames())) {
            if (name.equals("__metadata__")) {
                continue;
            }
            JsonNode e = header.get(name);
            int begin = 8 + n + e.get("data_offsets").get(0).asInt();
            int end = 8 + n + e.get("data_offsets").get(1).asInt();
            String dtype = e.get("dtype").asText();
            int size = dtype.equals("F32") || dtype.equals("I32") ? 4 : 2;
            float[] v = new float[(end - begin) / size];
            for (int i = 0; i < v.length; i++) {
                int at = begin + i * size;
                v[i] = switch (dtype) {
                    case "F32" -> b.getFloat(at);
                    case "I32" -> b.getInt(at);
                    case "F16" -> Float.float16ToFloat(b.getShort(at));
                    case "BF16" -> Float.intBitsToFloat((b.getShort(at) & 0xFFFF) << 16);
                    default -> throw new AssertionError(dtype);
                };
            }
            out.put(name, v);
        }
        return out;
    }

    private static List<String> iterableToList(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
