package dev.gatun.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves that {@link gatun_h} binds exactly the C ABI of {@code native/include/gatun.h}: every
 * {@code GATUN_API} prototype, with the same name, arity and argument and return layouts, and
 * nothing the header lacks; and the same constants.
 */
class GatunHeaderTest {
    private static final Pattern PROTOTYPE =
            Pattern.compile("GATUN_API\\s+([^;(]*?)\\s*\\(([^)]*)\\)\\s*;", Pattern.DOTALL);
    private static final Pattern DECLARATION =
            Pattern.compile("^(.*?)([A-Za-z_][A-Za-z0-9_]*)$");
    private static final Pattern ENUM_CONSTANT =
            Pattern.compile("\\b(GATUN_[A-Z0-9_]+)\\s*=\\s*(\\d+)");
    private static final Pattern DEFINE =
            Pattern.compile("#define\\s+(GATUN_ABI_VERSION)\\s+(\\d+)");

    /** One C prototype: its return type and parameter types, in order. */
    record Prototype(String name, String returnType, List<String> parameterTypes) {}

    private static Map<String, Prototype> prototypes;
    private static String header;

    @BeforeAll
    static void parseHeader() throws IOException {
        Path path = Path.of(System.getProperty("gatun.header", "../native/include/gatun.h"));
        assertTrue(Files.isRegularFile(path), "header not found at " + path.toAbsolutePath());
        header = Files.readString(path).replaceAll("(?s)/\\*.*?\\*/", " ");
        prototypes = new LinkedHashMap<>();
        Matcher m = PROTOTYPE.matcher(header);
        while (m.find()) {
            String[] ret = split(m.group(1));
            List<String> params = new ArrayList<>();
            String list = m.group(2).trim();
            if (!list.equals("void")) {
                for (String p : list.split(",")) {
                    params.add(split(p)[0]);
                }
            }
            prototypes.put(ret[1], new Prototype(ret[1], ret[0], params));
        }
        assertTrue(prototypes.size() >= 13, "parsed only " + prototypes.keySet());
    }

    /** "const int64_t *a_strides" -> {"const int64_t *", "a_strides"}. */
    private static String[] split(String declaration) {
        Matcher m = DECLARATION.matcher(declaration.trim().replaceAll("\\s+", " "));
        assertTrue(m.matches(), "cannot parse C declaration '" + declaration + "'");
        return new String[] {m.group(1).trim(), m.group(2)};
    }

    /** The FFM layout of a C type, per the conventions gatun_h follows. */
    private static MemoryLayout layout(String cType) {
        if (cType.contains("*")) {
            return ValueLayout.ADDRESS;
        }
        return switch (cType.replace("const", "").trim()) {
            case "int32_t", "gatun_status" -> ValueLayout.JAVA_INT;
            case "int64_t" -> ValueLayout.JAVA_LONG;
            case "float" -> ValueLayout.JAVA_FLOAT;
            default -> throw new AssertionError("no layout rule for C type '" + cType + "'");
        };
    }

    private static Class<?> javaType(String cType) {
        MemoryLayout l = layout(cType);
        if (l.equals(ValueLayout.ADDRESS)) {
            return MemorySegment.class;
        }
        return ((ValueLayout) l).carrier();
    }

    private static Map<String, Method> boundFunctions() {
        Map<String, Method> bound = new TreeMap<>();
        for (Method m : gatun_h.class.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers())
                    && m.getName().startsWith("gatun_") && !m.getName().contains("$")) {
                Method previous = bound.put(m.getName(), m);
                assertTrue(previous == null, "gatun_h overloads " + m.getName());
            }
        }
        return bound;
    }

    @Test
    void bindsEveryFunctionOfTheHeaderAndNothingElse() {
        assertEquals(new TreeSet<>(prototypes.keySet()), boundFunctions().keySet(),
                "functions in gatun.h vs functions bound in gatun_h");
    }

    @Test
    void everyBindingHasTheHeadersArityTypesAndLayouts() throws Exception {
        Map<String, Method> bound = boundFunctions();
        for (Prototype p : prototypes.values()) {
            Method method = bound.get(p.name());
            assertNotNull(method, p.name() + " is not bound");
            Class<?>[] expectedTypes = p.parameterTypes().stream()
                    .map(GatunHeaderTest::javaType).toArray(Class<?>[]::new);
            assertEquals(p.parameterTypes().size(), method.getParameterCount(),
                    p.name() + ": arity");
            assertEquals(Arrays.asList(expectedTypes), Arrays.asList(method.getParameterTypes()),
                    p.name() + ": Java parameter types for C " + p.parameterTypes());
            assertEquals(javaType(p.returnType()), method.getReturnType(),
                    p.name() + ": Java return type for C " + p.returnType());

            FunctionDescriptor descriptor = (FunctionDescriptor) gatun_h.class
                    .getMethod(p.name() + "$descriptor").invoke(null);
            List<MemoryLayout> expected = p.parameterTypes().stream()
                    .map(GatunHeaderTest::layout).toList();
            assertEquals(expected, descriptor.argumentLayouts(), p.name() + ": argument layouts");
            assertEquals(Optional.of(layout(p.returnType())), descriptor.returnLayout(),
                    p.name() + ": return layout");
        }
    }

    @Test
    void everyBoundSymbolResolvesInTheLibrary() throws Exception {
        for (String name : prototypes.keySet()) {
            MemorySegment address = (MemorySegment) gatun_h.class.getMethod(name + "$address")
                    .invoke(null);
            assertFalse(address.equals(MemorySegment.NULL), name + " resolved to NULL");
        }
    }

    @Test
    void constantsMatchTheHeader() throws Exception {
        Map<String, Integer> expected = new TreeMap<>();
        for (Pattern p : List.of(ENUM_CONSTANT, DEFINE)) {
            Matcher m = p.matcher(header);
            while (m.find()) {
                expected.put(m.group(1), Integer.parseInt(m.group(2)));
            }
        }
        Map<String, Integer> actual = new TreeMap<>();
        for (Field f : gatun_h.class.getDeclaredFields()) {
            if (f.getType() == int.class && Modifier.isPublic(f.getModifiers())) {
                actual.put(f.getName(), f.getInt(null));
            }
        }
        assertTrue(expected.size() >= 17, "parsed only " + expected);
        assertEquals(expected, actual, "constants of gatun.h vs int constants of gatun_h");
    }
}
