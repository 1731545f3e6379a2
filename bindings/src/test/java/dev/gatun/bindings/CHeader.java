package dev.gatun.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The function prototypes and integer constants of a C header, read with regular expressions
 * (enough for Gatun's headers and the CUDA runtime's, not a C parser), and the checks that a
 * bindings class in jextract's shape agrees with them: the same names, arity, Java types and
 * FFM layouts. Shared by the header tests of {@link gatun_h}, {@link gatun_cuda_h} and
 * {@link cudart_h}.
 */
final class CHeader {
    /** Gatun's headers: {@code GATUN_API <return type> <name>(<parameters>);}. */
    static final Pattern GATUN_PROTOTYPE =
            Pattern.compile("GATUN_API\\s+([^;(]*?)\\s*\\(([^)]*)\\)\\s*;", Pattern.DOTALL);
    /** cuda_runtime_api.h: {@code extern __host__ <return type> CUDARTAPI <name>(...);}. */
    static final Pattern CUDART_PROTOTYPE = Pattern.compile(
            "extern\\s+__host__\\s+(?:__cudart_builtin__\\s+)?([^;(]*?)\\s*CUDARTAPI\\s+"
                    + "([A-Za-z_][A-Za-z0-9_]*)\\s*\\(([^)]*)\\)\\s*;", Pattern.DOTALL);
    /** {@code NAME = 123} inside an enum. */
    static final Pattern ENUM_CONSTANT =
            Pattern.compile("\\b([A-Za-z_][A-Za-z0-9_]*)\\s*=\\s*(\\d+)\\b");

    private static final Pattern DECLARATION = Pattern.compile("^(.*?)([A-Za-z_][A-Za-z0-9_]*)$");

    /** One C prototype: its return type and parameter types, in order. */
    record Prototype(String name, String returnType, List<String> parameterTypes) {}

    private final Path path;
    private final String text;
    private final Map<String, Prototype> prototypes;

    private CHeader(Path path, String text, Map<String, Prototype> prototypes) {
        this.path = path;
        this.text = text;
        this.prototypes = prototypes;
    }

    /** Reads one of Gatun's headers. */
    static CHeader gatun(Path path) throws IOException {
        String text = read(path);
        Map<String, Prototype> found = new LinkedHashMap<>();
        Matcher m = GATUN_PROTOTYPE.matcher(text);
        while (m.find()) {
            String[] ret = split(m.group(1));
            found.put(ret[1], new Prototype(ret[1], ret[0], parameters(m.group(2))));
        }
        return new CHeader(path, text, found);
    }

    /** Reads the CUDA runtime's {@code cuda_runtime_api.h}. */
    static CHeader cudaRuntime(Path path) throws IOException {
        // default arguments, "cudaStream_t stream __dv(0)", would end the parameter list early
        String text = read(path).replaceAll("__dv\\([^)]*\\)", "");
        Map<String, Prototype> found = new LinkedHashMap<>();
        Matcher m = CUDART_PROTOTYPE.matcher(text);
        while (m.find()) {
            found.putIfAbsent(m.group(2), new Prototype(m.group(2),
                    m.group(1).trim().replaceAll("\\s+", " "), parameters(m.group(3))));
        }
        return new CHeader(path, text, found);
    }

    private static String read(Path path) throws IOException {
        assertTrue(Files.isRegularFile(path), "header not found at " + path.toAbsolutePath());
        return Files.readString(path).replaceAll("(?s)/\\*.*?\\*/", " ")
                .replaceAll("//[^\n]*", " ");
    }

    private static List<String> parameters(String list) {
        List<String> types = new ArrayList<>();
        String trimmed = list.trim();
        if (!trimmed.equals("void") && !trimmed.isEmpty()) {
            for (String p : trimmed.split(",")) {
                types.add(split(p)[0]);
            }
        }
        return types;
    }

    /** "const int64_t *a_strides" -> {"const int64_t *", "a_strides"}. */
    private static String[] split(String declaration) {
        Matcher m = DECLARATION.matcher(declaration.trim().replaceAll("\\s+", " "));
        assertTrue(m.matches(), "cannot parse C declaration '" + declaration + "'");
        return new String[] {m.group(1).trim(), m.group(2)};
    }

    Path path() {
        return path;
    }

    /** The header's text without comments. */
    String text() {
        return text;
    }

    /** Every prototype, by function name, in header order. */
    Map<String, Prototype> prototypes() {
        return prototypes;
    }

    /** Every {@code NAME = value} (and {@code #define NAME value}) matching a pattern. */
    Map<String, Integer> constants(Pattern... patterns) {
        Map<String, Integer> found = new TreeMap<>();
        for (Pattern p : patterns) {
            Matcher m = p.matcher(text);
            while (m.find()) {
                found.put(m.group(1), Integer.parseInt(m.group(2)));
            }
        }
        return found;
    }

    /** The FFM layout of a C type, by the conventions of Gatun's bindings. */
    static MemoryLayout layout(String cType) {
        String t = cType.replace("const", "").trim();
        if (t.contains("*") || t.equals("cudaStream_t") || t.equals("cudaEvent_t")) {
            return ValueLayout.ADDRESS;
        }
        if (t.startsWith("enum ")) {
            return ValueLayout.JAVA_INT;
        }
        return switch (t) {
            case "int", "int32_t", "gatun_status", "gatun_cuda_status", "cudaError_t" ->
                    ValueLayout.JAVA_INT;
            case "int64_t", "size_t" -> ValueLayout.JAVA_LONG;
            case "float" -> ValueLayout.JAVA_FLOAT;
            default -> throw new AssertionError("no layout rule for C type '" + cType + "'");
        };
    }

    /** The Java type a binding uses for a C type. */
    static Class<?> javaType(String cType) {
        MemoryLayout l = layout(cType);
        if (l.equals(ValueLayout.ADDRESS)) {
            return MemorySegment.class;
        }
        return ((ValueLayout) l).carrier();
    }

    /** The public static functions of {@code bindings} whose names start with a prefix. */
    static Map<String, Method> boundFunctions(Class<?> bindings, String prefix) {
        Map<String, Method> bound = new TreeMap<>();
        for (Method m : bindings.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers())
                    && m.getName().startsWith(prefix) && !m.getName().contains("$")) {
                Method previous = bound.put(m.getName(), m);
                assertTrue(previous == null, bindings.getSimpleName() + " overloads "
                        + m.getName());
            }
        }
        return bound;
    }

    /** The public int constants of {@code bindings}. */
    static Map<String, Integer> intConstants(Class<?> bindings) throws IllegalAccessException {
        Map<String, Integer> found = new TreeMap<>();
        for (Field f : bindings.getDeclaredFields()) {
            if (f.getType() == int.class && Modifier.isPublic(f.getModifiers())) {
                found.put(f.getName(), f.getInt(null));
            }
        }
        return found;
    }

    /**
     * Asserts that {@code bindings} binds each of {@code names} with this header's arity,
     * Java parameter and return types, and descriptor layouts.
     */
    void assertBindings(Class<?> bindings, Iterable<String> names) throws Exception {
        Map<String, Method> bound = boundFunctions(bindings, "");
        for (String name : names) {
            Prototype p = prototypes.get(name);
            assertNotNull(p, name + " is not declared in " + path);
            Method method = bound.get(name);
            assertNotNull(method, name + " is not bound in " + bindings.getSimpleName());
            Class<?>[] expectedTypes = p.parameterTypes().stream()
                    .map(CHeader::javaType).toArray(Class<?>[]::new);
            assertEquals(p.parameterTypes().size(), method.getParameterCount(),
                    name + ": arity");
            assertEquals(Arrays.asList(expectedTypes), Arrays.asList(method.getParameterTypes()),
                    name + ": Java parameter types for C " + p.parameterTypes());
            assertEquals(javaType(p.returnType()), method.getReturnType(),
                    name + ": Java return type for C " + p.returnType());

            FunctionDescriptor descriptor = (FunctionDescriptor) bindings
                    .getMethod(name + "$descriptor").invoke(null);
            List<MemoryLayout> expected = p.parameterTypes().stream()
                    .map(CHeader::layout).toList();
            assertEquals(expected, descriptor.argumentLayouts(), name + ": argument layouts");
            assertEquals(Optional.of(layout(p.returnType())), descriptor.returnLayout(),
                    name + ": return layout");
        }
    }
}
