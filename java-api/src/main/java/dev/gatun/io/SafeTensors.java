package dev.gatun.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatun.DType;
import dev.gatun.Device;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes
 * of JSON describing each tensor, then the tensors' raw little-endian bytes.
 *
 * <pre>{@code
 * try (Scope scope = Scope.open()) {
 *     SafeTensors file = SafeTensors.open(Path.of("model.safetensors"), scope);
 *     Tensor wq = file.get("model.layers.0.self_attn.q_proj.weight"); // a view of the file
 *     SafeTensors.write(Path.of("copy.safetensors"), Map.of("wq", wq), file.metadata());
 * }
 * }</pre>
 *
 * <p>{@link #open} validates the whole header before it maps anything: the header length
 * (within the file and at most {@link #MAX_HEADER_BYTES}), the JSON, every dtype, shape and
 * data offset, and that the tensors tile the data section exactly (no overlaps, no gaps, no
 * trailing bytes, as the format's specification requires). Any violation is a
 * {@link ModelFormatException} naming the file, the tensor and the values.
 *
 * <p>Tensors of F32, F16, BF16 and I32 are zero-copy, read-only views of the memory-mapped
 * file, whatever their alignment. Other dtypes of the specification (F64, I64, U8, ...) are
 * validated and listed but {@link #get} refuses them.
 *
 * <p>Limitations: little-endian hosts only (every platform Gatun builds for); the file must
 * not be truncated or rewritten while mapped (the operating system would fault the reading
 * thread); sub-byte dtypes (F4, F6_*) are rejected as unknown.
 */
public final class SafeTensors {
    /** Largest header accepted, the same cap as the reference implementation: 100 MB. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";

    /** Byte size of each dtype of the safetensors specification (whole-byte ones). */
    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(
            Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1),
            Map.entry("F8_E5M2", 1), Map.entry("F8_E4M3", 1), Map.entry("F8_E8M0", 1),
            Map.entry("I16", 2), Map.entry("U16", 2), Map.entry("F16", 2),
            Map.entry("BF16", 2), Map.entry("I32", 4), Map.entry("U32", 4),
            Map.entry("F32", 4), Map.entry("F64", 8), Map.entry("I64", 8),
            Map.entry("U64", 8));

    /** The dtypes that become tensors; their safetensors names equal the enum names. */
    private static final Map<String, DType> SUPPORTED = Map.of(
            "F32", DType.F32, "F16", DType.F16, "BF16", DType.BF16, "I32", DType.I32);

    /**
     * One tensor as the header describes it.
     *
     * @param name  the tensor's key in the header
     * @param dtype the safetensors dtype name ("F32", "BF16", "I64", ...)
     * @param shape the dimensions, row-major
     * @param begin first byte, relative to the start of the data section
     * @param end   one past the last byte, relative to the start of the data section
     */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public Entry {
            shape = shape.clone();
        }

        /** A copy of the dimensions. */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public String toString() {
            return name + ": " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
        }
    }

    private final Path file;
    private final MemorySegment data;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, MemorySegment data, Map<String, Entry> entries,
                        Map<String, String> metadata) {
        this.file = file;
        this.data = data;
        this.entries = Collections.unmodifiableMap(entries);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    // ---- reading ----------------------------------------------------------------------------

    /**
     * Validates the header of {@code file} and memory-maps it; the mapping belongs to
     * {@code scope} and is released when the scope closes, after which every tensor from
     * {@link #get} throws {@link IllegalStateException} on access.
     *
     * @throws ModelFormatException  if the header breaks any rule of the format
     * @throws UncheckedIOException  if the file cannot be read
     * @throws IllegalStateException if {@code scope} is closed
     */
    public static SafeTensors open(Path file, Scope scope) {
        requireLittleEndianHost();
        if (!scope.isOpen()) {
            throw new IllegalStateException("SafeTensors.open: scope is closed (" + file + ")");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new ModelFormatException(file, "file has " + size
                        + " bytes, fewer than the 8-byte header length that starts the format");
            }
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, prefix, 0);
            long headerBytes = prefix.getLong(0);
            if (headerBytes < 0 || headerBytes > MAX_HEADER_BYTES) {
                throw new ModelFormatException(file, "header length "
                        + Long.toUnsignedString(headerBytes) + " exceeds the cap of "
                        + MAX_HEADER_BYTES + " bytes");
            }
            if (headerBytes > size - 8) {
                throw new ModelFormatException(file, "header length " + headerBytes
                        + " runs past the end of the file: 8 + " + headerBytes + " > file size "
                        + size);
            }
            byte[] header = new byte[(int) headerBytes];
            readFully(channel, ByteBuffer.wrap(header), 8);

            long dataStart = 8 + headerBytes;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = parseHeader(file.toString(), header, size - dataStart,
                    metadata);

            // mapped only after validation, so a bad file leaves nothing in the scope
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size,
                    scope.arena());
            return new SafeTensors(file, mapped.asSlice(dataStart), entries, metadata);
        } catch (IOException e) {
            throw new UncheckedIOException("SafeTensors.open: cannot read " + file + ": "
                    + e.getMessage(), e);
        }
    }

    /** The file this was opened from. */
    public Path file() {
        return file;
    }

    /** The tensor names, sorted. */
    public Set<String> names() {
        return entries.keySet();
    }

    /** Whether the file holds a tensor called {@code name}. */
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /**
     * The header's description of {@code name}: dtype, shape, offsets.
     *
     * @throws ModelFormatException if the file holds no such tensor
     */
    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new ModelFormatException(file.toString(), name, "no such tensor; the file holds "
                    + entries.size() + " tensors" + sample(entries.keySet()));
        }
        return e;
    }

    /** The {@code __metadata__} map of the header (empty if absent), unmodifiable. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * A zero-copy, read-only view of tensor {@code name} with its dtype and shape, owned by
     * the scope passed to {@link #open}. Writing into it throws
     * {@link UnsupportedOperationException}.
     *
     * @throws ModelFormatException if the file holds no such tensor or its dtype is not one of
     *     F32, F16, BF16, I32
     */
    public Tensor get(String name) {
        Entry e = entry(name);
        DType dtype = SUPPORTED.get(e.dtype());
        if (dtype == null) {
            throw new ModelFormatException(file.toString(), name, "unsupported dtype "
                    + e.dtype() + " (Gatun reads F32, F16, BF16, I32)");
        }
        return Tensor.wrap(data.asSlice(e.begin(), e.end() - e.begin()), dtype, e.shape());
    }

    // ---- writing ----------------------------------------------------------------------------

    /** As {@link #write(Path, Map, Map)} with no metadata. */
    public static void write(Path file, Map<String, Tensor> tensors) {
        write(file, tensors, Map.of());
    }

    /**
     * Writes {@code tensors} to {@code file}: names sorted, each tensor's elements row-major
     * and contiguous in the order of the names, the header padded with spaces so the data
     * section starts 8-byte aligned. Strided views are written as their logical elements.
     *
     * <p>The bytes go to a temporary file beside {@code file} that is renamed over it only
     * once complete, so a failure never leaves a partial file.
     *
     * @param tensors  host tensors of F32, F16, BF16 or I32, any strides
     * @param metadata written as {@code __metadata__} when not empty
     * @throws IllegalArgumentException if a name is empty or {@code __metadata__}, a tensor is
     *     not in host memory, or a metadata key or value is null
     * @throws IllegalStateException    if a tensor's scope is closed
     * @throws UncheckedIOException     if the file cannot be written
     */
    public static void write(Path file, Map<String, Tensor> tensors,
                             Map<String, String> metadata) {
        requireLittleEndianHost();
        Objects.requireNonNull(metadata, "metadata");
        metadata.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new IllegalArgumentException("SafeTensors.write: metadata keys and values"
                        + " must not be null, got " + k + " -> " + v + " (" + file + ")");
            }
        });
        Map<String, Tensor> sorted = new TreeMap<>(tensors);
        for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
            String name = e.getKey();
            Tensor t = Objects.requireNonNull(e.getValue(), "tensor " + name);
            if (name.isEmpty() || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("SafeTensors.write: tensor name '" + name
                        + "' is reserved or empty (" + file + ")");
            }
            if (t.device() != Device.CPU) {
                throw new IllegalArgumentException("SafeTensors.write: tensor '" + name + "' "
                        + t.describe() + " is not in host memory; copy it to the CPU first");
            }
            t.checkAlive("SafeTensors.write");
        }

        byte[] header = headerBytes(sorted, metadata);
        AtomicWrite.write(file, channel -> {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            prefix.putLong(0, header.length);
            AtomicWrite.writeFully(channel, prefix);
            AtomicWrite.writeFully(channel, ByteBuffer.wrap(header));
            for (Tensor t : sorted.values()) {
                writeElements(channel, t);
            }
        });
    }

    /** The JSON header, padded with spaces so that 8 + its length is a multiple of 8. */
    private static byte[] headerBytes(Map<String, Tensor> sorted, Map<String, String> metadata) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(METADATA_KEY);
            new TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
            Tensor t = e.getValue();
            long bytes = Math.multiplyExact(t.numel(), t.dtype().byteSize());
            ObjectNode node = root.putObject(e.getKey());
            node.put("dtype", t.dtype().name());
            ArrayNode shape = node.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            node.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = Json.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsBytes(root);
        } catch (JacksonException e) {
            throw new IllegalStateException("SafeTensors.write: cannot encode header", e);
        }
        int padded = (int) ((8 + json.length + 7) / 8 * 8 - 8);
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    /** Writes the elements of {@code t} row-major, copying strided views first. */
    private static void writeElements(FileChannel channel, Tensor t) throws IOException {
        if (t.isContiguous()) {
            writeSegment(channel, t.segment());
            return;
        }
        try (Scope scratch = Scope.open()) {
            Tensor copy = Tensor.allocate(scratch, t.dtype(), t.shape());
            copy.copyFrom(t);
            writeSegment(channel, copy.segment());
        }
    }

    /** Writes a segment in pieces: a ByteBuffer view holds at most 2 GiB. */
    private static void writeSegment(FileChannel channel, MemorySegment segment)
            throws IOException {
        final long chunk = 1L << 30;
        for (long at = 0; at < segment.byteSize(); at += chunk) {
            long n = Math.min(chunk, segment.byteSize() - at);
            AtomicWrite.writeFully(channel, segment.asSlice(at, n).asByteBuffer());
        }
    }

    // ---- header validation ------------------------------------------------------------------

    /** Parses and checks every rule of the header; fills {@code metadata}. */
    private static Map<String, Entry> parseHeader(String file, byte[] header, long dataBytes,
                                                  Map<String, String> metadata) {
        JsonNode root = Json.parseObject(file, "header", header);

        Map<String, Entry> entries = new TreeMap<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String name = field.getKey();
            JsonNode node = field.getValue();
            if (name.equals(METADATA_KEY)) {
                readMetadata(file, node, metadata);
            } else {
                entries.put(name, readEntry(file, name, node, dataBytes));
            }
        }
        checkTiling(file, entries.values(), dataBytes);
        return entries;
    }

    private static void readMetadata(String file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new ModelFormatException(file, METADATA_KEY + " must be an object of strings,"
                    + " found " + node.getNodeType());
        }
        for (Map.Entry<String, JsonNode> kv : node.properties()) {
            if (!kv.getValue().isTextual()) {
                throw new ModelFormatException(file, METADATA_KEY + " value for key '"
                        + kv.getKey() + "' must be a string, found "
                        + kv.getValue().getNodeType());
            }
            out.put(kv.getKey(), kv.getValue().textValue());
        }
    }

    private static Entry readEntry(String file, String name, JsonNode node, long dataBytes) {
        if (!node.isObject()) {
            throw new ModelFormatException(file, name, "entry must be an object with dtype,"
                    + " shape and data_offsets, found " + node.getNodeType());
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new ModelFormatException(file, name, "dtype must be a string, found "
                    + (dtypeNode == null ? "none" : dtypeNode.toString()));
        }
        String dtype = dtypeNode.textValue();
        Integer elementBytes = DTYPE_BYTES.get(dtype);
        if (elementBytes == null) {
            throw new ModelFormatException(file, name, "unknown dtype '" + dtype + "'");
        }

        long[] shape = longArray(file, name, node.get("shape"), "shape", -1);
        long[] offsets = longArray(file, name, node.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];

        long bytes;
        try {
            long numel = 1;
            for (long d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            bytes = Math.multiplyExact(numel, (long) elementBytes);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(file, name, "shape " + Arrays.toString(shape)
                    + " of " + dtype + " has more bytes than a long can count");
        }
        if (begin > end) {
            throw new ModelFormatException(file, name, "data_offsets [" + begin + ", " + end
                    + "] are reversed (begin > end)");
        }
        if (end > dataBytes) {
            throw new ModelFormatException(file, name, "data_offsets [" + begin + ", " + end
                    + "] run past the data section of " + dataBytes
                    + " bytes (file truncated?)");
        }
        if (end - begin != bytes) {
            throw new ModelFormatException(file, name, "data_offsets [" + begin + ", " + end
                    + "] hold " + (end - begin) + " bytes, shape " + Arrays.toString(shape)
                    + " of " + dtype + " needs " + bytes);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** Reads a JSON array of non-negative integers; {@code length} -1 accepts any length. */
    private static long[] longArray(String file, String name, JsonNode node, String field,
                                    int length) {
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw new ModelFormatException(file, name, field + " must be an array of "
                    + (length >= 0 ? length + " " : "") + "non-negative integers, found "
                    + (node == null ? "none" : node.toString()));
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new ModelFormatException(file, name, field + " must hold non-negative"
                        + " integers that fit a long, found " + node);
            }
            values[i] = v.longValue();
        }
        return values;
    }

    /** The tensors must cover [0, dataBytes) exactly once: no overlap, gap or tail. */
    private static void checkTiling(String file, Iterable<Entry> entries, long dataBytes) {
        List<Entry> byOffset = new ArrayList<>();
        entries.forEach(byOffset::add);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : byOffset) {
            if (e.begin() < covered) {
                throw new ModelFormatException(file, e.name(), "data_offsets [" + e.begin()
                        + ", " + e.end() + "] overlap tensor '" + previous.name() + "' at ["
                        + previous.begin() + ", " + previous.end() + "]");
            }
            if (e.begin() > covered) {
                throw new ModelFormatException(file, e.name(), "bytes [" + covered + ", "
                        + e.begin() + ") before it belong to no tensor; the data section must"
                        + " have no gaps");
            }
            covered = e.end();
            previous = e;
        }
        if (covered != dataBytes) {
            throw new ModelFormatException(file, "the data section has " + dataBytes
                    + " bytes but the tensors cover only " + covered + "; the rest belongs to"
                    + " no tensor");
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static void readFully(FileChannel channel, ByteBuffer dst, long position)
            throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, at);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + at);
            }
            at += n;
        }
    }

    /** The first few names, for messages. */
    static String sample(Set<String> names) {
        List<String> first = names.stream().limit(5).toList();
        return names.isEmpty() ? "" : ", e.g. " + String.join(", ", first)
                + (names.size() > first.size() ? ", ..." : "");
    }

    /** Files are little-endian and tensors use native order: the two must agree. */
    static void requireLittleEndianHost() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("model files are little-endian; this host"
                    + " is " + ByteOrder.nativeOrder() + " and Gatun does not byte-swap");
        }
    }
}
